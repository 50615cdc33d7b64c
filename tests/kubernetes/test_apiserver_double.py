"""The double honours the API semantics KubernetesCluster relies on (through the official client)."""

import json

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import MaxRetryError

from tests.kubernetes.apiserver_double import ApiServerDouble, start_double
from tests.kubernetes.conftest import NS, cronjob, deployment, service


@pytest.fixture
def apps(doubles: dict[str, ApiServerDouble]) -> client.AppsV1Api:
    return client.AppsV1Api(doubles["eks"].api_client())


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
    core = client.CoreV1Api(doubles["eks"].api_client())
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


def test_generation_moves_on_spec_changes_only(apps: client.AppsV1Api) -> None:
    apps.create_namespaced_deployment(NS, deployment("web"))
    merge = "application/merge-patch+json"
    labelled = apps.patch_namespaced_deployment(
        "web", NS, {"metadata": {"labels": {"x": "y"}}}, _content_type=merge
    )
    assert labelled.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment("web", NS, {"spec": {"replicas": 7}}, _content_type=merge)
    assert scaled.metadata.generation == 2


def test_list_items_carry_no_kind_like_a_real_server(doubles: dict[str, ApiServerDouble]) -> None:
    doubles["eks"].put_object(deployment("web"))
    response = client.AppsV1Api(doubles["eks"].api_client()).list_namespaced_deployment(
        NS, _preload_content=False
    )
    item = json.loads(response.data)["items"][0]
    assert "kind" not in item and "apiVersion" not in item and item["metadata"]["name"] == "web"


def test_without_gateway_api_its_group_is_404() -> None:
    with start_double(gateway_api=False) as double:
        custom = client.CustomObjectsApi(double.api_client())
        with pytest.raises(ApiException) as caught:
            custom.list_namespaced_custom_object("gateway.networking.k8s.io", "v1", NS, "httproutes")
        assert caught.value.status == 404
    with start_double() as double:
        custom = client.CustomObjectsApi(double.api_client())
        listed = custom.list_namespaced_custom_object("gateway.networking.k8s.io", "v1", NS, "httproutes")
        assert listed["items"] == []


def test_requests_are_recorded_with_query_and_headers(doubles: dict[str, ApiServerDouble]) -> None:
    api_client = doubles["eks"].api_client()
    api_client.configuration.api_key["BearerToken"] = "Bearer t0ken"
    client.CoreV1Api(api_client).list_namespaced_service(NS, label_selector="app=web")
    request = doubles["eks"].requests[-1]
    assert (request.method, request.path) == ("GET", f"/api/v1/namespaces/{NS}/services")
    assert request.query == {"labelSelector": "app=web"}
    assert request.headers["authorization"] == "Bearer t0ken"


def test_simulated_controllers_roll_out_every_write(doubles: dict[str, ApiServerDouble]) -> None:
    double = doubles["eks"].simulate_controllers()
    apps = client.AppsV1Api(double.api_client())
    apps.create_namespaced_stateful_set(NS, deployment("db", replicas=2, kind="StatefulSet"))
    apps.patch_namespaced_stateful_set(
        "db", NS, {"spec": {"replicas": 4}}, _content_type="application/merge-patch+json"
    )
    status = double.get_object("statefulsets", NS, "db")["status"]  # type: ignore[index]
    assert status == {
        "observedGeneration": 2,
        "replicas": 4,
        "updatedReplicas": 4,
        "readyReplicas": 4,
        "availableReplicas": 4,
    }


def test_without_simulated_controllers_status_stays_as_set(apps: client.AppsV1Api) -> None:
    created = apps.create_namespaced_deployment(NS, deployment("web", replicas=2))
    assert created.status.available_replicas == 2 and created.status.observed_generation is None


def test_run_schedules_starts_one_owned_job_per_unsuspended_cronjob(
    doubles: dict[str, ApiServerDouble],
) -> None:
    double = doubles["eks"]
    nightly = double.put_object(cronjob("nightly"))
    double.put_object(cronjob("paused", suspend=True))
    double.put_object(cronjob("broken"))
    double.put_object(cronjob("slow"))
    started = double.run_schedules(fail={"broken"}, running={"slow"})
    assert [name.rsplit("-", 1)[0] for name in started] == ["broken", "nightly", "slow"]
    jobs = {name.rsplit("-", 1)[0]: double.get_object("jobs", NS, name) for name in started}
    owner = jobs["nightly"]["metadata"]["ownerReferences"][0]  # type: ignore[index]
    assert (owner["kind"], owner["name"], owner["uid"]) == ("CronJob", "nightly", nightly["metadata"]["uid"])
    assert jobs["nightly"]["metadata"]["creationTimestamp"]  # type: ignore[index]
    assert jobs["nightly"]["status"]["conditions"][0]["type"] == "Complete"  # type: ignore[index]
    assert jobs["broken"]["status"]["conditions"][0]["type"] == "Failed"  # type: ignore[index]
    assert jobs["slow"]["status"] == {"active": 1, "startTime": jobs["slow"]["status"]["startTime"]}  # type: ignore[index]
    double.finish_job(NS, started[2], failed=True)
    assert double.get_object("jobs", NS, started[2])["status"]["failed"] == 1  # type: ignore[index]
    again = double.run_schedules()
    assert len(again) == 3 and max(again) > max(started)


def test_tls_double_is_reached_through_its_ca_only() -> None:
    with start_double(tls=True) as double:
        assert double.url.startswith("https://") and double.ca_file
        client.CoreV1Api(double.api_client()).list_namespaced_service(NS)
        untrusting = client.Configuration(host=double.url)
        untrusting.retries = 0
        with pytest.raises(MaxRetryError):
            client.CoreV1Api(client.ApiClient(untrusting)).list_namespaced_service(NS)
