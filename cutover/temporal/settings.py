"""Where things are: the Temporal connection (the temporal CLI's conventions, through temporalio.envconfig)
and the local data folder."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.envconfig import ClientConfigProfile, ClientConfigTLS, DataSource
from temporalio.service import TLSConfig

DEFAULT_TASK_QUEUE = "cutover"
DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"
# The temporal CLI's environment variables for the TLS files, by the profile's field that holds them.
TLS_FILE_ENV = {
    "server_root_ca_cert": "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "client_cert": "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "client_private_key": "TEMPORAL_TLS_CLIENT_KEY_PATH",
}
TLS_FILE_KEY = {
    "server_root_ca_cert": "server_ca_cert_path",
    "client_cert": "client_cert_path",
    "client_private_key": "client_key_path",
}


class TemporalConfigError(ValueError):
    """The connection settings cannot be used as given (unknown profile, missing file, bad TOML)."""


def data_dir() -> Path:
    return Path(os.environ.get("CUTOVER_DATA_DIR", ".cutover")).resolve()


def local_state_path() -> Path:
    return Path(os.environ.get("CUTOVER_LOCAL_STATE", data_dir() / "local-env.json"))


def report_dir() -> Path:
    return Path(os.environ.get("CUTOVER_REPORT_DIR", data_dir() / "reports"))


def task_queue_from_env() -> str:
    """The one task-queue setting, shared by the worker, the CLI and the demo."""
    return os.environ.get("CUTOVER_TASK_QUEUE") or DEFAULT_TASK_QUEUE


@dataclass(frozen=True)
class TemporalSettings:
    """How to reach Temporal: what Client.connect takes, plus cutover's task queue."""

    address: str = DEFAULT_ADDRESS
    namespace: str = DEFAULT_NAMESPACE
    task_queue: str = DEFAULT_TASK_QUEUE
    api_key: str | None = None
    tls: bool | TLSConfig = False
    rpc_metadata: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(
        cls,
        *,
        address: str | None = None,
        namespace: str | None = None,
        task_queue: str | None = None,
        profile: str | None = None,
        config_file: str | None = None,
    ) -> "TemporalSettings":
        """The temporal CLI's settings: a profile of the config file (TEMPORAL_CONFIG_FILE, else
        ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE, else "default") under the TEMPORAL_*
        variables, under the arguments given here (flags). Files are read now: a bad one is said at once."""
        loaded = load_profile(profile, config_file)
        tls = loaded.tls
        return cls(
            address=address or loaded.address or DEFAULT_ADDRESS,
            namespace=namespace or loaded.namespace or DEFAULT_NAMESPACE,
            task_queue=task_queue or task_queue_from_env(),
            api_key=loaded.api_key,
            tls=_tls(tls, profile_label(profile, config_file)) if tls else bool(loaded.api_key),
            rpc_metadata=dict(loaded.grpc_meta),
        )


def load_profile(profile: str | None, config_file: str | None) -> ClientConfigProfile:
    """One profile with the environment's overrides applied, or TemporalConfigError naming the setting."""
    config_file = config_file or os.environ.get("TEMPORAL_CONFIG_FILE") or None
    if config_file and not Path(config_file).is_file():
        raise TemporalConfigError(
            f"Temporal config file {config_file} (--config-file / TEMPORAL_CONFIG_FILE) not found"
        )
    try:
        return ClientConfigProfile.load(profile, config_source=Path(config_file) if config_file else None)
    except Exception as error:  # the bridge's ConfigError is not importable under a stable name
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise TemporalConfigError(
            f"Temporal connection settings ({profile_label(profile, config_file)}): {first}"
        ) from None


def profile_label(profile: str | None, config_file: str | None) -> str:
    name = profile or os.environ.get("TEMPORAL_PROFILE") or "default"
    where = config_file or os.environ.get("TEMPORAL_CONFIG_FILE") or "the default temporal.toml"
    return f"profile {name!r} in {where}"


def _tls(tls: ClientConfigTLS, label: str) -> bool | TLSConfig:
    """Read the certificate files the profile names; a missing one is said with the setting that names it."""
    for name, env in TLS_FILE_ENV.items():
        source: DataSource | None = getattr(tls, name)
        if isinstance(source, Path) and not source.is_file():
            setting = env if os.environ.get(env) == str(source) else f"tls.{TLS_FILE_KEY[name]} of {label}"
            raise TemporalConfigError(f"{setting}: {source} not found")
    try:
        return tls.to_connect_tls_config()
    except OSError as error:
        raise TemporalConfigError(f"TLS file of {label}: {error}") from None
