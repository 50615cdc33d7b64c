"""Plans that used to pass or crash: one `error:` block naming the field, exit 2, nothing started."""

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cutover.cli.main import cli
from tests.plan.plans import EXAMPLE, GOOD, changed

NO_SERVER = ["--address", "127.0.0.1:1"]  # a refusal must come before any connection

# (a plan file's text, what its first problem line says)
CASES: dict[str, tuple[str, str]] = {
    "gate timeout overflows datetime": (
        yaml.safe_dump(changed("gates.timeout", "3000000d")),
        "gates.timeout: must be at most 30d",
    ),
    "bake overflows timedelta": (
        yaml.safe_dump(changed("traffic.bake", "99999999999d")),
        "traffic.bake: must be",
    ),
    "zero check interval": (
        yaml.safe_dump(changed("monitoring.check_interval", "0s")),
        "monitoring.check_interval: must be at least 1s",
    ),
    "zero gate timeout": (
        yaml.safe_dump(changed("gates.timeout", "0s")),
        "gates.timeout: must be at least 1m",
    ),
    "exposed cronjob": (
        yaml.safe_dump(changed("services.0.exposure", "exposed")),
        "services[0].exposure: a CronJob",
    ),
    "one workload, two names": (
        yaml.safe_dump(changed("services.4.workload", "deployment/checkout")),
        "services[4].workload: deployment/checkout in namespace shop is already planned as services[3]",
    ),
    "boolean step": (yaml.safe_dump(changed("traffic.steps", [True, 5, 100])), "traffic.steps[0]:"),
    "empty approver": (yaml.safe_dump(changed("gates.approvers", [""])), "gates.approvers[0]:"),
    "nested workload ref": (
        yaml.safe_dump(changed("services.2.workload", "deployment/a/b")),
        "services[2].workload: NAME in 'deployment/NAME' must be a Kubernetes object name",
    ),
    "duplicate yaml key": (
        EXAMPLE.read_text().replace("  bake: 30m\n", "  bake: 30m\n  bake: 1h\n"),
        "duplicate key 'bake'",
    ),
    "yaml syntax": ("name: shop\nsource: {name: eks\n", "malformed yaml at line 3, column 1"),
    "same env twice": (
        yaml.safe_dump(changed("target.name", GOOD["source"]["name"])),
        "target.name: must differ from source.name",
    ),
}


@pytest.mark.parametrize("command", ["validate", "start"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_in_one_block_naming_the_field(tmp_path: Path, case: str, command: str) -> None:
    text, phrase = CASES[case]
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    args = ["plan", "validate", str(plan)] if command == "validate" else ["start", str(plan), *NO_SERVER]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {plan}: "), result.output
    assert phrase in result.output, result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )


def test_unreadable_files_are_one_line(tmp_path: Path) -> None:
    cases = {
        "latin1.yaml": ("name: caf\xe9\n".encode("latin-1"), "file is not UTF-8 text (invalid byte 0xe9"),
        "huge.yaml": (b"#" * (3 * 1024 * 1024), "file is 3.0 MiB; a plan may be at most 512 KiB"),
        "bad.json": (b'{"name": "x",\n "source": }', "malformed json at line 2, column 12"),
    }
    for name, (content, phrase) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = CliRunner().invoke(cli, ["plan", "validate", str(path)])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], result.output
