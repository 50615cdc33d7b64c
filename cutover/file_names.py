"""A workflow id as a file name: one path component whatever the id holds, never another id's."""

import hashlib
from urllib.parse import quote

# Bytes; file systems allow 255, and a suffix (".md", a temporary file's) must fit beside it.
NAME_MAX = 200
_HASHED = 64 + 1  # a cut name ends in "-" and the id's sha256
# Kept as they are besides letters, digits and "_.-~": a scheduled migration's id has colons
# (cutover-batch-1-2026-11-28T01:00:00Z), and its review keeps the name it always had.
KEPT = ":@+=,"


def file_name(workflow_id: str) -> str:
    """The id percent-encoded: a `/` makes no folder, `..` climbs nowhere, a leading dot hides nothing.

    A longer name is cut and ends in the id's hash, so two ids still never share a name.
    """
    name = quote(workflow_id, safe=KEPT)
    if name.startswith("."):
        name = "%2E" + name[1:]
    if len(name) > NAME_MAX:
        name = f"{name[: NAME_MAX - _HASHED]}-{hashlib.sha256(workflow_id.encode()).hexdigest()}"
    return name
