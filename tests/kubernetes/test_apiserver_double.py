"""The double honours the API semantics KubernetesCluster relies on (through the official client)."""

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.kubernetes.apiserver_double import ApiServerDouble
from tests.kubernetes.conftest import NS, api_client, deployment, service


@pytest.fixture
def apps(doubles: dict[str, ApiServerDouble]) -> client.AppsV1Api:
    return client.AppsV1Api(api_client(doubles["eks"].url))


def test_missing_object_is_404_with_status_body(apps: client.AppsV1Api) -> None:
    with pytest.raises(ApiException) as caught:
        apps.read_namespaced_deployment("nope", NS)
    assert caught.value.status == 404
    assert '"kind": "Status"' in caught.value.body and '"reason": "NotFound"' in caught.value.body


def test_put_with_stale_resource_version_is_409(apps: client.AppsV1Api) -> None:
    created = apps.create_namespaced_deployment(NS, deployment("web"))
    first = apps.read_namespaced_deployment("web", NS)
    first.spec.replicas = 5
    updated = apps.replace_namespaced_deployment("web", NS, first)
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)
    stale = apps.read_namespaced_deployment("web", NS)
    stale.metadata.resource_version = created.metadata.resource_version
    with pytest.raises(ApiException) as caught:
        apps.replace_namespaced_deployment("web", NS, stale)
    assert caught.value.status == 409 and "Conflict" in caught.value.body


def test_post_of_existing_name_is_409(apps: client.AppsV1Api) -> None:
    apps.create_namespaced_deployment(NS, deployment("web"))
    with pytest.raises(ApiException) as caught:
        apps.create_namespaced_deployment(NS, deployment("web"))
    assert caught.value.status == 409 and "AlreadyExists" in caught.value.body


def test_label_selector_and_merge_patch(doubles: dict[str, ApiServerDouble]) -> None:
    core = client.CoreV1Api(api_client(doubles["eks"].url))
    for name, app in (("a", "web"), ("b", "api"), ("c", "web")):
        svc = service(name, app)
        svc["metadata"]["labels"] = {"app": app, "tier": "front" if name != "c" else "back"}
        core.create_namespaced_service(NS, svc)
    found = core.list_namespaced_service(NS, label_selector="app=web,tier=front")
    assert [s.metadata.name for s in found.items] == ["a"]
    before = core.read_namespaced_service("a", NS).metadata.resource_version
    patched = core.patch_namespaced_service(
        "a", NS, {"spec": {"type": "NodePort"}}, _content_type="application/merge-patch+json"
    )
    assert patched.spec.type == "NodePort" and patched.spec.selector == {"app": "web"}
    assert int(patched.metadata.resource_version) > int(before)


def test_apply_creates_then_merges_and_needs_field_manager(apps: client.AppsV1Api) -> None:
    body = deployment("web")
    created = apps.patch_namespaced_deployment(
        "web", NS, body, field_manager="t", _content_type="application/apply-patch+yaml"
    )
    again = apps.patch_namespaced_deployment(
        "web", NS, body, field_manager="t", _content_type="application/apply-patch+yaml"
    )
    assert again.metadata.resource_version == created.metadata.resource_version
    with pytest.raises(ApiException) as caught:
        apps.patch_namespaced_deployment("web", NS, body, _content_type="application/apply-patch+yaml")
    assert caught.value.status == 400
