"""Where things are: Temporal connection (temporal CLI conventions) and the local data folder."""

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TASK_QUEUE = "cutover"


def data_dir() -> Path:
    return Path(os.environ.get("CUTOVER_DATA_DIR", ".cutover")).resolve()


def local_state_path() -> Path:
    return Path(os.environ.get("CUTOVER_LOCAL_STATE", data_dir() / "local-env.json"))


def report_dir() -> Path:
    return Path(os.environ.get("CUTOVER_REPORT_DIR", data_dir() / "reports"))


@dataclass(frozen=True)
class TemporalSettings:
    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = DEFAULT_TASK_QUEUE
    api_key: str | None = None
    tls: bool = False

    @classmethod
    def from_env(cls, **overrides: object) -> "TemporalSettings":
        values: dict[str, object] = {
            "address": os.environ.get("TEMPORAL_ADDRESS", cls.address),
            "namespace": os.environ.get("TEMPORAL_NAMESPACE", cls.namespace),
            "task_queue": os.environ.get("CUTOVER_TASK_QUEUE", cls.task_queue),
            "api_key": os.environ.get("TEMPORAL_API_KEY") or None,
            "tls": os.environ.get("TEMPORAL_TLS", "").lower() in ("1", "true", "yes"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
