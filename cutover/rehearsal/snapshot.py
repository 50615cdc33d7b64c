"""`cutover snapshot`: one namespace of a real environment, read through the worker's platform config,
into a local environment state file (cutover.platform.local_state). Snapshots of several namespaces
or environments into one file add up: each replaces only what it read."""

from pathlib import Path
from typing import Any

from cutover.platform.local import LocalEnvironment
from cutover.platform.local_state import empty_state
from cutover.platform.wiring import KubernetesConfig, PlatformConfig, PlatformConfigError


def read_namespace(
    config: PlatformConfig, env: str, namespace: str, also: set[str]
) -> dict[str, dict[str, Any]]:
    """The namespace's objects in env, keyed as the state file keys them, with the ConfigMaps and
    Secrets named in `also`."""
    if not isinstance(config.cluster, KubernetesConfig):
        raise PlatformConfigError(
            "cluster: a snapshot reads real clusters: the platform config's cluster.kind must be kubernetes"
        )
    if env not in config.cluster.contexts:
        known = ", ".join(sorted(config.cluster.contexts))
        raise PlatformConfigError(
            f"--env: {env!r} is not in the platform config's cluster.contexts ({known})"
        )
    from cutover.platform.kubernetes.snapshot import namespace_objects  # the Kubernetes client, here only

    cluster = config.cluster.build()
    return namespace_objects(cluster, env, namespace, also)


def merged(state: dict[str, Any] | None, env: str, namespace: str, objects: dict[str, Any]) -> dict[str, Any]:
    """`state` with env's namespace replaced by `objects`; a new state has env as blue."""
    if state is None:
        state = empty_state(env, env)
    cluster = state["clusters"].setdefault(env, {})
    for key in [k for k in cluster if k.startswith(f"{namespace}/")]:
        del cluster[key]
    cluster.update(objects)
    return state


def used_elsewhere(state: dict[str, Any] | None, namespace: str) -> set[str]:
    """The ConfigMaps and Secrets (configmap/NAME, secret/NAME) the namespace's workloads use in the
    environments already in the file: green's copies are looked for even where green runs nothing yet."""
    if state is None:
        return set()
    return {
        ref
        for objects in state["clusters"].values()
        for key, item in objects.items()
        if key.startswith(f"{namespace}/")
        for ref in item.get("config_refs", [])
    }


def write_snapshot(config: PlatformConfig, env: str, namespace: str, out: Path) -> int:
    """Read the namespace and write it into `out` (added to what is there); how many objects it holds."""
    local = LocalEnvironment(out)
    state = local.read() if out.exists() else None
    objects = read_namespace(config, env, namespace, used_elsewhere(state, namespace))
    local.create(merged(state, env, namespace, objects))
    return len(objects)
