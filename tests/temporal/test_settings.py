"""Connection settings as the temporal CLI reads them: temporal.toml profiles, TEMPORAL_* variables, flags."""

import os
from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from cutover.temporal.settings import TemporalConfigError, TemporalSettings
from tests.temporal.certificates import Certificates, make_certificates


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TEMPORAL_* variable and no temporal.toml of whoever runs the tests."""
    for name in list(os.environ):
        if name.startswith("TEMPORAL_") or name == "CUTOVER_TASK_QUEUE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    return make_certificates(tmp_path / "certs")


def write_config(path: Path, certificates: Certificates) -> Path:
    path.write_text(
        f"""
[profile.default]
address = "default.example:7233"

[profile.prod]
address = "prod.example:7233"
namespace = "payments.a1b2c"

[profile.prod.tls]
server_name = "temporal.internal"
server_ca_cert_path = "{certificates.ca}"
client_cert_path = "{certificates.client_cert}"
client_key_path = "{certificates.client_key}"

[profile.prod.grpc_meta]
x-tenant = "payments"
"""
    )
    return path


def test_nothing_configured_is_the_local_dev_server() -> None:
    assert TemporalSettings.from_env() == TemporalSettings()
    assert TemporalSettings.from_env().address == "localhost:7233"
    assert TemporalSettings.from_env().task_queue == "cutover"


def test_a_profile_brings_its_tls_files_and_metadata(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, certificates: Certificates
) -> None:
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(write_config(tmp_path / "temporal.toml", certificates)))
    monkeypatch.setenv("TEMPORAL_PROFILE", "prod")
    settings = TemporalSettings.from_env()
    assert (settings.address, settings.namespace) == ("prod.example:7233", "payments.a1b2c")
    assert settings.rpc_metadata == {"x-tenant": "payments"}
    assert settings.tls == TLSConfig(
        domain="temporal.internal",
        server_root_ca_cert=certificates.ca.read_bytes(),
        client_cert=certificates.client_cert.read_bytes(),
        client_private_key=certificates.client_key.read_bytes(),
    )


def test_variables_override_the_profile_and_flags_override_both(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, certificates: Certificates
) -> None:
    config = write_config(tmp_path / "temporal.toml", certificates)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "from-env")
    monkeypatch.setenv("CUTOVER_TASK_QUEUE", "q-env")
    settings = TemporalSettings.from_env(profile="prod", config_file=str(config))
    assert (settings.address, settings.namespace, settings.task_queue) == (
        "prod.example:7233",
        "from-env",
        "q-env",
    )
    flagged = TemporalSettings.from_env(
        profile="prod", config_file=str(config), address="flag:1", namespace="flag-ns", task_queue="q-flag"
    )
    assert (flagged.address, flagged.namespace, flagged.task_queue) == ("flag:1", "flag-ns", "q-flag")
    assert isinstance(flagged.tls, TLSConfig)


def test_the_default_profile_of_the_default_file(tmp_path: Path, certificates: Certificates) -> None:
    folder = tmp_path / "home" / ".config" / "temporalio"
    folder.mkdir(parents=True)
    write_config(folder / "temporal.toml", certificates)
    assert TemporalSettings.from_env().address == "default.example:7233"


def test_tls_certificates_from_the_temporal_cli_variables(
    monkeypatch: pytest.MonkeyPatch, certificates: Certificates
) -> None:
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(certificates.client_cert))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(certificates.client_key))
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    monkeypatch.setenv("TEMPORAL_GRPC_META_X_TENANT", "payments")
    settings = TemporalSettings.from_env()
    assert isinstance(settings.tls, TLSConfig)
    assert settings.tls.client_cert == certificates.client_cert.read_bytes()
    assert settings.tls.domain == "temporal.internal"
    assert settings.rpc_metadata == {"x-tenant": "payments"}


def test_an_api_key_turns_tls_on_and_tls_false_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_API_KEY", "k3y")
    assert TemporalSettings.from_env().tls is True
    assert TemporalSettings.from_env().api_key == "k3y"
    monkeypatch.setenv("TEMPORAL_TLS", "false")
    assert TemporalSettings.from_env().tls is False


def test_a_missing_certificate_file_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "gone.pem"))
    with pytest.raises(TemporalConfigError) as caught:
        TemporalSettings.from_env()
    assert str(caught.value) == f"TEMPORAL_TLS_CLIENT_CERT_PATH: {tmp_path / 'gone.pem'} not found"


def test_a_missing_certificate_file_names_the_profile_key(tmp_path: Path, certificates: Certificates) -> None:
    config = write_config(tmp_path / "temporal.toml", certificates)
    certificates.client_key.unlink()
    with pytest.raises(TemporalConfigError) as caught:
        TemporalSettings.from_env(profile="prod", config_file=str(config))
    assert str(caught.value) == (
        f"tls.client_key_path of profile 'prod' in {config}: {certificates.client_key} not found"
    )


def test_an_unknown_profile_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, certificates: Certificates
) -> None:
    config = write_config(tmp_path / "temporal.toml", certificates)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config))
    monkeypatch.setenv("TEMPORAL_PROFILE", "staging")
    with pytest.raises(TemporalConfigError) as caught:
        TemporalSettings.from_env()
    assert str(caught.value) == (
        f"Temporal connection settings (profile 'staging' in {config}): Profile 'staging' not found"
    )


def test_a_config_file_that_is_not_there_or_not_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemporalConfigError, match="TEMPORAL_CONFIG_FILE.* not found"):
        TemporalSettings.from_env(config_file=str(tmp_path / "nope.toml"))
    broken = tmp_path / "broken.toml"
    broken.write_text("[profile.default\n")
    with pytest.raises(TemporalConfigError, match="TOML parse error"):
        TemporalSettings.from_env(config_file=str(broken))
