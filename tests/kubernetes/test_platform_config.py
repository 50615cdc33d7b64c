"""The worker's platform config selects KubernetesCluster from kubeconfig contexts."""

from pathlib import Path

import pytest
import yaml

from cutover.platform.kubernetes.cluster import KubernetesCluster
from cutover.platform.local import LocalEnvironment
from cutover.platform.wiring import PlatformConfigError, build_platform, load_platform_config
from tests.kubernetes.apiserver_double import ApiServerDouble
from tests.kubernetes.conftest import NS, deployment, write_kubeconfig

Doubles = dict[str, ApiServerDouble]


def platform_file(tmp_path: Path, cluster: dict[str, object]) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump({"cluster": cluster}))
    return path


def test_kubernetes_cluster_from_contexts(doubles: Doubles, tmp_path: Path) -> None:
    doubles["eks"].put_object(deployment("checkout"))
    config = load_platform_config(
        platform_file(
            tmp_path,
            {
                "kind": "kubernetes",
                "source_env": "eks",
                "kubeconfig": str(write_kubeconfig(tmp_path / "kubeconfig", doubles)),
                "contexts": {"eks": "ctx-eks", "fargate": "ctx-fargate"},
            },
        )
    )
    cluster, router, _ = build_platform(config, LocalEnvironment(tmp_path / "state.json"))
    assert isinstance(cluster, KubernetesCluster)
    assert cluster.environments() == ["eks", "fargate"]
    found = cluster.find("eks", NS, "deployment", "checkout")
    assert found is not None and found.replicas == 3
    assert cluster.find("fargate", NS, "deployment", "checkout") is None
    assert isinstance(router, LocalEnvironment)


def test_source_env_must_be_a_context(doubles: Doubles, tmp_path: Path) -> None:
    config = load_platform_config(
        platform_file(
            tmp_path,
            {
                "kind": "kubernetes",
                "source_env": "blue",
                "contexts": {"eks": "ctx-eks"},
            },
        )
    )
    with pytest.raises(PlatformConfigError, match="cluster.source_env: 'blue' is not in cluster.contexts"):
        build_platform(config, LocalEnvironment(tmp_path / "state.json"))
