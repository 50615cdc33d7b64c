"""Which storage a workload's volumes claim, and whether Fargate can mount it.

Fargate pods mount only EFS (PersistentVolumes of the efs.csi.aws.com driver); a claim backed by
EBS or any other block storage leaves the copy's pods Pending forever. A claim is backed by the
PersistentVolume it is bound to, else by the provisioner of its storage class (or of the
cluster's default class when it names none).
"""

from dataclasses import dataclass

from cutover.platform.kubernetes.api import Obj
from cutover.platform.kubernetes.manifests import pod_spec

EFS_DRIVER = "efs.csi.aws.com"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
# In-tree volume sources of a PersistentVolume, named as their CSI drivers are.
IN_TREE_DRIVERS = {
    "awsElasticBlockStore": "kubernetes.io/aws-ebs",
    "nfs": "nfs",
    "hostPath": "hostPath",
    "local": "local",
}


@dataclass(frozen=True)
class ClaimUse:
    """A volume that needs a claim: an existing PVC by name, or one made from a template."""

    volume: str
    claim: str | None = None
    storage_class: str | None = None

    def what(self) -> str:
        return f"volume {self.volume}" + (f" (claim {self.claim})" if self.claim else "")


def claim_uses(obj: Obj) -> list[ClaimUse]:
    """Pod volumes naming a PVC, generic ephemeral volumes, and a StatefulSet's claim templates."""
    uses = []
    for volume in pod_spec(obj).get("volumes") or []:
        name = volume.get("name", "?")
        if volume.get("persistentVolumeClaim"):
            uses.append(ClaimUse(name, claim=volume["persistentVolumeClaim"].get("claimName", "?")))
        elif volume.get("ephemeral"):
            template = (volume["ephemeral"].get("volumeClaimTemplate") or {}).get("spec") or {}
            uses.append(ClaimUse(name, storage_class=template.get("storageClassName")))
    if obj.get("kind") == "StatefulSet":
        for template in (obj.get("spec") or {}).get("volumeClaimTemplates") or []:
            name = (template.get("metadata") or {}).get("name", "?")
            uses.append(ClaimUse(name, storage_class=(template.get("spec") or {}).get("storageClassName")))
    return uses


def volume_driver(volume: Obj) -> str:
    """The driver behind a PersistentVolume (CSI driver name, or the in-tree source's name)."""
    spec = volume.get("spec") or {}
    if spec.get("csi"):
        return str(spec["csi"].get("driver", "unknown CSI driver"))
    for source, driver in IN_TREE_DRIVERS.items():
        if spec.get(source):
            return driver
    return "an unknown volume source"


def default_class(classes: list[Obj]) -> str | None:
    """The name of the class the cluster gives claims that name none."""
    for storage_class in classes:
        annotations = (storage_class.get("metadata") or {}).get("annotations") or {}
        if annotations.get(DEFAULT_CLASS_ANNOTATION) == "true":
            return str(storage_class["metadata"]["name"])
    return None


def not_efs(use: ClaimUse, backing: str) -> str | None:
    """The reason Fargate cannot mount use's storage, or None when it is EFS."""
    if backing == EFS_DRIVER:
        return None
    return f"{use.what()} is backed by {backing}; Fargate mounts only EFS ({EFS_DRIVER})"
