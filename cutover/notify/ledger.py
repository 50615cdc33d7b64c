"""Which notifications each destination has already received, so a retried activity (or a replayed
one on another attempt) posts each notification once per destination.

A destination is marked only after it accepted the notification, so a crash between the two makes
the next attempt post again: at least once, and once in all but that case.
"""

from pathlib import Path
from typing import Protocol

from cutover.file_names import file_name


class SentLedger(Protocol):
    def sent(self, key: str, destination: str) -> bool: ...

    def mark(self, key: str, destination: str) -> None: ...


class FileLedger:
    """One empty file per delivery, `<folder>/<destination>/<key>`: each name made one safe path
    component (a workflow id may hold `/`, `:` or `..`). A folder the workers share (a volume) lets a
    retry on another worker see what was sent."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _marker(self, key: str, destination: str) -> Path:
        return self.folder / file_name(destination) / file_name(key)

    def sent(self, key: str, destination: str) -> bool:
        return self._marker(key, destination).exists()

    def mark(self, key: str, destination: str) -> None:
        """An empty file made by one open(O_CREAT): it is there or not, never half written."""
        marker = self._marker(key, destination)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
