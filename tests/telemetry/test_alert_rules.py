"""deploy/alerts: the rules load in Prometheus's own checker, their unit tests pass, and they name only
metrics the worker exports."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cutover.workflows import metrics

ALERTS = Path(__file__).parents[2] / "deploy" / "alerts"
RULES = ALERTS / "cutover-rules.yaml"
RULE_LIST: list[dict[str, str]] = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool is not installed: apt-get install prometheus (.ci/run does)"
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120, cwd=ALERTS)


def test_promtool_checks_the_rules() -> None:
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 4 rules found" in checked.stdout


def test_the_rules_unit_tests_pass() -> None:
    tested = promtool("test", "rules", "cutover-rules.test.yaml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_is_unit_tested() -> None:
    tests = yaml.safe_load((ALERTS / "cutover-rules.test.yaml").read_text())["tests"]
    tested = {case["alertname"] for test in tests for case in test["alert_rule_test"] if case["exp_alerts"]}
    assert {rule["alert"] for rule in RULE_LIST} == tested


@pytest.mark.parametrize("rule", RULE_LIST, ids=lambda rule: rule["alert"])
def test_the_rules_name_metrics_the_worker_exports(rule: dict[str, str]) -> None:
    exported = {value for name, value in vars(metrics).items() if name.isupper() and isinstance(value, str)}
    named = set(re.findall(r"\bcutover_[a-z_]+", rule["expr"]))
    assert named <= exported, named - exported
