"""Configuration parity: the ConfigMaps and Secrets a pod template uses, compared between two clusters.

Values are reduced to sha256 digests as soon as an object is read and only keys ever reach a
message, so neither a Secret's value nor anything derived from it can leak into logs or history.
"""

import hashlib
from dataclasses import dataclass

from cutover.platform.kubernetes.api import Obj
from cutover.platform.kubernetes.manifests import containers, pod_spec

# Fields holding values, per kind (a key lives in at most one of them).
VALUE_FIELDS = {"configmap": ("data", "binaryData"), "secret": ("data",)}


@dataclass(frozen=True, order=True)
class ConfigRef:
    kind: str  # "configmap" or "secret"
    name: str
    optional: bool = False

    def what(self, namespace: str) -> str:
        return f"{self.kind}/{namespace}/{self.name}"


def _ref(kind: str, source: Obj | None, name_field: str = "name") -> list[ConfigRef]:
    if not source or not source.get(name_field):
        return []
    return [ConfigRef(kind, source[name_field], bool(source.get("optional")))]


def _volume_refs(volume: Obj) -> list[ConfigRef]:
    refs = _ref("configmap", volume.get("configMap")) + _ref("secret", volume.get("secret"), "secretName")
    for source in (volume.get("projected") or {}).get("sources") or []:
        refs += _ref("configmap", source.get("configMap")) + _ref("secret", source.get("secret"))
    return refs


def _container_refs(container: Obj) -> list[ConfigRef]:
    refs = []
    for source in container.get("envFrom") or []:
        refs += _ref("configmap", source.get("configMapRef")) + _ref("secret", source.get("secretRef"))
    for var in container.get("env") or []:
        value_from = var.get("valueFrom") or {}
        refs += _ref("configmap", value_from.get("configMapKeyRef")) + _ref(
            "secret", value_from.get("secretKeyRef")
        )
    return refs


def config_refs(obj: Obj) -> list[ConfigRef]:
    """Every ConfigMap and Secret the pod template uses, once each, sorted; optional only if every use is."""
    spec = pod_spec(obj)
    found = [ref for v in spec.get("volumes") or [] for ref in _volume_refs(v)]
    found += [ref for c in containers(obj) for ref in _container_refs(c)]
    found += [ConfigRef("secret", s["name"]) for s in spec.get("imagePullSecrets") or [] if s.get("name")]
    optional: dict[tuple[str, str], bool] = {}
    for ref in found:
        optional[(ref.kind, ref.name)] = optional.get((ref.kind, ref.name), True) and ref.optional
    return sorted(ConfigRef(kind, name, opt) for (kind, name), opt in optional.items())


def digests(kind: str, obj: Obj) -> dict[str, str]:
    """Key -> sha256 of its value (as stored: text, or base64 for binary and Secret data)."""
    return {
        key: hashlib.sha256(str(value).encode()).hexdigest()
        for field in VALUE_FIELDS[kind]
        for key, value in (obj.get(field) or {}).items()
    }


@dataclass(frozen=True)
class Side:
    """One environment's view of a referenced object: its key digests, or None when absent."""

    env: str
    digests: dict[str, str] | None


def compare(ref: ConfigRef, namespace: str, source: Side, target: Side) -> list[str]:
    """Problems with one reference: absent somewhere (unless optional and absent in both), differing keys."""
    what = ref.what(namespace)
    if source.digests is None and target.digests is None and ref.optional:
        return []
    missing = [f"{what} is missing in {side.env}" for side in (source, target) if side.digests is None]
    if source.digests is None or target.digests is None:
        return missing
    problems = [
        f"{what} key {k} only in {source.env}" for k in sorted(source.digests.keys() - target.digests.keys())
    ]
    problems += [
        f"{what} key {k} only in {target.env}" for k in sorted(target.digests.keys() - source.digests.keys())
    ]
    problems += [
        f"{what} key {k} differs between {source.env} and {target.env}"
        for k in sorted(source.digests.keys() & target.digests.keys())
        if source.digests[k] != target.digests[k]
    ]
    return problems
