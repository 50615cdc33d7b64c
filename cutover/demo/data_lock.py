"""One demo per data folder: two would share the dev server's SQLite file and the local environment."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cutover.demo.local_servers import ServerStartError

LOCK_FILE = "demo.lock"


@contextmanager
def holding_data_dir(data_dir: Path) -> Iterator[None]:
    """Hold the folder for this process's life; the kernel releases the lock if it dies, so a
    killed demo never leaves the folder locked."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOCK_FILE, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise ServerStartError(
                f"another demo is running in {data_dir} (pid {holder}); stop it, "
                "or give this one its own --data-dir (and --port/--ui-port)"
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield
