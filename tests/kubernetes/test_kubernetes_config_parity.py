"""config_problems: the ConfigMaps and Secrets a workload uses, compared between blue and green by hash."""

import base64
import hashlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from kubernetes import client

from cutover.platform.errors import PermanentError
from cutover.platform.kubernetes.cluster import KubernetesCluster
from tests.kubernetes.apiserver_double import ApiServerDouble
from tests.kubernetes.conftest import NS, configmap, cronjob, deployment, secret

Doubles = dict[str, ApiServerDouble]
PASSWORD = "hunter2-do-not-leak"
PASSWORD_B64 = base64.b64encode(PASSWORD.encode()).decode()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def web_using(
    *, volumes: Sequence[Any] = (), env: Sequence[Any] = (), env_from: Sequence[Any] = (), **spec: Any
) -> dict[str, Any]:
    """The "web" Deployment whose pods use these volumes, env and envFrom (and other pod spec fields)."""
    obj = deployment("web")
    pod = obj["spec"]["template"]["spec"]
    pod["volumes"] = list(volumes)
    pod["containers"][0].update(env=list(env), envFrom=list(env_from))
    pod.update(spec)
    return obj


EVERY_KIND_OF_REFERENCE = web_using(
    volumes=[
        {"name": "config", "configMap": {"name": "app-config"}},
        {"name": "creds", "secret": {"secretName": "db-credentials"}},
        {
            "name": "bundle",
            "projected": {
                "sources": [{"configMap": {"name": "feature-flags"}}, {"secret": {"name": "tls-cert"}}]
            },
        },
    ],
    env=[
        {"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "LOG_LEVEL"}}},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "PASSWORD"}}},
        {"name": "PLAIN", "value": "x"},
    ],
    env_from=[{"configMapRef": {"name": "env-config"}}, {"secretRef": {"name": "api-keys"}}],
    imagePullSecrets=[{"name": "regcred"}],
)


def same_config() -> list[dict[str, Any]]:
    return [
        configmap("app-config", {"LOG_LEVEL": "info", "MODE": "prod"}, binary={"logo.png": b64("png")}),
        configmap("feature-flags", {"checkout_v2": "on"}),
        configmap("env-config", {"REGION": "eu-west-1"}),
        secret("db-credentials", {"USER": b64("shop"), "PASSWORD": PASSWORD_B64}),
        secret("tls-cert", {"tls.crt": b64("cert")}),
        secret("api-keys", {"STRIPE": b64("sk_live")}),
        secret("regcred", {".dockerconfigjson": b64("{}")}),
    ]


def put_everywhere(doubles: Doubles, objects: list[dict[str, Any]]) -> None:
    for double in doubles.values():
        for obj in objects:
            double.put_object(obj)


def test_identical_config_has_no_problems_and_is_read_in_both(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    doubles["eks"].put_object(EVERY_KIND_OF_REFERENCE)
    put_everywhere(doubles, same_config())
    assert cluster.config_problems("eks", "fargate", NS, "deployment", "web") == []
    for double in doubles.values():
        read = {r.path.split(f"/namespaces/{NS}/")[1] for r in double.requests}
        assert {"configmaps/app-config", "configmaps/feature-flags", "configmaps/env-config"} <= read
        assert {"secrets/db-credentials", "secrets/tls-cert", "secrets/api-keys", "secrets/regcred"} <= read


def test_every_difference_is_named_by_object_and_key(doubles: Doubles, cluster: KubernetesCluster) -> None:
    doubles["eks"].put_object(EVERY_KIND_OF_REFERENCE)
    for obj in same_config():
        doubles["eks"].put_object(obj)
    green = {o["metadata"]["name"]: o for o in same_config()}
    green["app-config"]["data"] = {
        "LOG_LEVEL": "debug",
        "EXTRA": "1",
    }  # MODE only in blue, EXTRA only in green
    green["app-config"]["binaryData"] = {"logo.png": b64("gif")}
    green["db-credentials"]["data"]["PASSWORD"] = b64("another")
    del green["tls-cert"]
    for obj in green.values():
        doubles["fargate"].put_object(obj)
    assert cluster.config_problems("eks", "fargate", NS, "deployment", "web") == [
        "configmap/shop/app-config key MODE only in eks",
        "configmap/shop/app-config key EXTRA only in fargate",
        "configmap/shop/app-config key LOG_LEVEL differs between eks and fargate",
        "configmap/shop/app-config key logo.png differs between eks and fargate",
        "secret/shop/db-credentials key PASSWORD differs between eks and fargate",
        "secret/shop/tls-cert is missing in fargate",
    ]


@pytest.mark.parametrize(
    ("workload", "what"),
    [
        (web_using(volumes=[{"name": "v", "configMap": {"name": "c"}}]), "configmap/shop/c"),
        (web_using(volumes=[{"name": "v", "secret": {"secretName": "s"}}]), "secret/shop/s"),
        (
            web_using(volumes=[{"name": "v", "projected": {"sources": [{"configMap": {"name": "c"}}]}}]),
            "configmap/shop/c",
        ),
        (
            web_using(volumes=[{"name": "v", "projected": {"sources": [{"secret": {"name": "s"}}]}}]),
            "secret/shop/s",
        ),
        (web_using(env_from=[{"configMapRef": {"name": "c"}}]), "configmap/shop/c"),
        (web_using(env_from=[{"secretRef": {"name": "s"}}]), "secret/shop/s"),
        (
            web_using(env=[{"name": "E", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}]),
            "configmap/shop/c",
        ),
        (
            web_using(env=[{"name": "E", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]),
            "secret/shop/s",
        ),
        (web_using(imagePullSecrets=[{"name": "s"}]), "secret/shop/s"),
        (
            web_using(initContainers=[{"name": "i", "envFrom": [{"secretRef": {"name": "s"}}]}]),
            "secret/shop/s",
        ),
    ],
)
def test_each_kind_of_reference_is_checked(
    doubles: Doubles, cluster: KubernetesCluster, workload: dict[str, Any], what: str
) -> None:
    doubles["eks"].put_object(workload)
    put_everywhere(doubles, [configmap("c", {"k": "1"}), secret("s", {"k": b64("1")})])
    assert cluster.config_problems("eks", "fargate", NS, "deployment", "web") == []
    plural = "configmaps" if what.startswith("configmap") else "secrets"
    doubles["fargate"].objects.pop((plural, NS, what.rsplit("/", 1)[1]))
    assert cluster.config_problems("eks", "fargate", NS, "deployment", "web") == [
        f"{what} is missing in fargate"
    ]


def test_cronjob_references_are_read_from_its_job_template(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    nightly = cronjob("nightly")
    nightly["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [
        {"secretRef": {"name": "s"}}
    ]
    doubles["eks"].put_object(nightly)
    assert cluster.config_problems("eks", "fargate", NS, "cronjob", "nightly") == [
        "secret/shop/s is missing in eks",
        "secret/shop/s is missing in fargate",
    ]


def test_optional_references_count_unless_absent_in_both(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    doubles["eks"].put_object(
        web_using(
            env_from=[
                {"configMapRef": {"name": "nowhere", "optional": True}},
                {"secretRef": {"name": "blue-only", "optional": True}},
                {"configMapRef": {"name": "green-only", "optional": True}},
            ],
            volumes=[{"name": "v", "configMap": {"name": "nowhere", "optional": False}}],
        )
    )
    doubles["eks"].put_object(secret("blue-only", {"k": b64("1")}))
    doubles["fargate"].put_object(configmap("green-only", {"k": "1"}))
    assert cluster.config_problems("eks", "fargate", NS, "deployment", "web") == [
        "configmap/shop/green-only is missing in eks",
        "configmap/shop/nowhere is missing in eks",  # also used as a non-optional volume
        "configmap/shop/nowhere is missing in fargate",
        "secret/shop/blue-only is missing in fargate",
    ]


@pytest.fixture
def debug_logging(cluster: KubernetesCluster, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The client at its most talkative (an operator chasing a problem): debug logs and wire traces."""
    for api_client in cluster.clients.values():
        api_client.configuration.debug = True
    caplog.set_level(logging.DEBUG)
    yield
    for api_client in cluster.clients.values():
        api_client.configuration.debug = False  # also resets http.client's process-wide trace level


@pytest.mark.usefixtures("debug_logging")
def test_a_secret_value_never_reaches_a_problem_or_a_log(
    doubles: Doubles,
    cluster: KubernetesCluster,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doubles["eks"].put_object(EVERY_KIND_OF_REFERENCE)
    put_everywhere(doubles, same_config())
    doubles["fargate"].put_object(secret("db-credentials", {"USER": b64("shop"), "PASSWORD": b64("other")}))
    problems = cluster.config_problems("eks", "fargate", NS, "deployment", "web")
    assert problems == ["secret/shop/db-credentials key PASSWORD differs between eks and fargate"]
    digest = hashlib.sha256(PASSWORD_B64.encode()).hexdigest()
    leaks = (PASSWORD, PASSWORD_B64, digest, b64("other"))
    output = caplog.text + capsys.readouterr().out
    assert "secrets/db-credentials" in output  # the client did log and trace its requests
    assert not [leak for leak in leaks if leak in " ".join(problems) or leak in output]


@pytest.mark.usefixtures("debug_logging")
def test_the_leak_check_would_see_a_preloaded_secret(
    doubles: Doubles, cluster: KubernetesCluster, caplog: pytest.LogCaptureFixture
) -> None:
    """Guards the test above: a preloaded read (the client's default) logs the body, values included."""
    doubles["eks"].put_object(secret("db-credentials", {"PASSWORD": PASSWORD_B64}))
    client.CoreV1Api(cluster.clients["eks"]).read_namespaced_secret("db-credentials", NS)
    assert PASSWORD_B64 in caplog.text


def test_missing_workload_and_denied_reads_are_permanent(
    doubles: Doubles, cluster: KubernetesCluster
) -> None:
    with pytest.raises(PermanentError) as missing:
        cluster.config_problems("eks", "fargate", NS, "deployment", "web")
    assert missing.value.kind == "k8s.404"
    assert missing.value.message == "deployment/shop/web does not exist in eks"
    doubles["eks"].put_object(EVERY_KIND_OF_REFERENCE)
    put_everywhere(doubles, same_config())
    doubles["fargate"].fail_next(403, "Forbidden", "/secrets/")
    with pytest.raises(PermanentError) as denied:
        cluster.config_problems("eks", "fargate", NS, "deployment", "web")
    assert denied.value.kind == "k8s.403"
    assert denied.value.message.startswith("read secret/shop/api-keys in fargate failed: 403 Forbidden")
