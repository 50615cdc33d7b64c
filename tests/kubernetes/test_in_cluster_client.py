"""KubernetesCluster.in_cluster_client against an HTTPS API server double.

Covered: the official InClusterConfigLoader reads the service account token and CA files and
KUBERNETES_SERVICE_HOST/PORT; the client then speaks https to that address, verifies the server's
certificate against that CA (another CA is refused) and sends the token as a bearer Authorization
header, which the double records. Not covered: the standard /var/run/secrets paths themselves
(tests pass their own files), token rotation (the loader re-reads the file after a minute), and a
real kube-apiserver authenticating the token (the double accepts any).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes.config.config_exception import ConfigException
from urllib3.exceptions import MaxRetryError

from cutover.platform.kubernetes.cluster import KubernetesCluster
from tests.kubernetes.apiserver_double import ApiServerDouble, start_double
from tests.kubernetes.conftest import NS, deployment

TOKEN = "eyJhbGciOiJSUzI1NiJ9.service-account"


@pytest.fixture
def in_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ApiServerDouble, Path]]:
    """An HTTPS double as the cluster's API server, its address in the env, and a token file."""
    double = start_double("in-cluster", tls=True)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(double.port))
    token = tmp_path / "token"
    token.write_text(TOKEN)
    yield double, token
    double.stop()


def test_in_cluster_client_sends_the_service_account_token_over_verified_tls(
    in_cluster: tuple[ApiServerDouble, Path],
) -> None:
    double, token = in_cluster
    assert double.ca_file is not None
    api_client = KubernetesCluster.in_cluster_client(token_file=str(token), ca_file=double.ca_file)
    assert api_client.configuration.host == f"https://127.0.0.1:{double.port}"
    assert api_client.configuration.ssl_ca_cert == double.ca_file
    double.put_object(deployment("web"))
    cluster = KubernetesCluster({"green": api_client}, source_env="green")
    found = cluster.find("green", NS, "deployment", "web")
    assert found is not None and found.name == "web"
    assert {r.headers.get("authorization") for r in double.requests} == {f"bearer {TOKEN}"}


def test_in_cluster_client_refuses_a_server_its_ca_did_not_sign(
    in_cluster: tuple[ApiServerDouble, Path],
) -> None:
    double, token = in_cluster
    with start_double("other-cluster", tls=True) as other:
        assert other.ca_file is not None
        api_client = KubernetesCluster.in_cluster_client(token_file=str(token), ca_file=other.ca_file)
        api_client.configuration.retries = 0
        cluster = KubernetesCluster({"green": api_client}, source_env="green")
        with pytest.raises(MaxRetryError, match="CERTIFICATE_VERIFY_FAILED"):
            cluster.find("green", NS, "deployment", "web")
    assert double.requests == []


def test_in_cluster_client_needs_the_service_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    token, ca = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text(TOKEN)
    ca.write_text("not used")
    with pytest.raises(ConfigException, match="Service host/port is not set"):
        KubernetesCluster.in_cluster_client(token_file=str(token), ca_file=str(ca))
