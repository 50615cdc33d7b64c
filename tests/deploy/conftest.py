"""The Kubernetes API server doubles (blue "eks", green "fargate") and the adapter over them, as the
Kubernetes adapter's own tests have them."""

from tests.kubernetes.conftest import cluster, doubles

__all__ = ["cluster", "doubles"]
