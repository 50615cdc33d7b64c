"""Preparation refuses, before anything changes, what green cannot run or is not configured for."""

import hashlib
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cutover.demo.seed import BLUE, GREEN
from cutover.models import Outcome
from cutover.platform.local import State
from tests.workflows.helpers import migration
from tests.workflows.support import no_gate_plan

SECRET_VALUE = "s3cr3t-value-that-must-not-leak"


async def test_daemonset_is_refused_with_the_reason(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    plan = no_gate_plan(
        services=[
            {"name": "checkout", "workload": "deployment/checkout", "namespace": "shop"},
            {"name": "log-shipper", "workload": "daemonset/log-shipper", "namespace": "shop"},
        ]
    )
    async with migration(time_skipping_env, tmp_path, plan) as h:
        before = h.local.read()
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    assert "log-shipper" in result.outcome_reason and "Fargate runs no DaemonSets" in result.outcome_reason
    assert h.local.read()["clusters"] == before["clusters"], "a refused plan changed the clusters"


async def test_config_parity_names_objects_and_keys_never_values(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with migration(time_skipping_env, tmp_path, no_gate_plan()) as h:
        # Before preparation runs: green lacks one secret and holds a different value for a key.
        def drift(state: State) -> None:
            green = state["clusters"][GREEN]
            del green["billing/secret/ledger-db"]
            digest = hashlib.sha256(SECRET_VALUE.encode()).hexdigest()
            green["shop/secret/payments-api"]["data"]["API_KEY"] = digest
            green["shop/configmap/shop-settings"]["data"]["EXTRA"] = digest

        h.local.update(drift)
        before = h.local.read()
        result = await h.handle.result()
    assert result.outcome == Outcome.ROLLED_BACK
    reason = result.outcome_reason
    assert f"secret/ledger-db is missing in {GREEN}" in reason
    assert f"secret/payments-api key API_KEY differs in {GREEN}" in reason
    assert f"configmap/shop-settings key EXTRA exists only in {GREEN}" in reason
    digest = hashlib.sha256(SECRET_VALUE.encode()).hexdigest()
    assert digest not in reason and SECRET_VALUE not in reason
    assert digest not in capsys.readouterr().out
    assert h.local.read()["clusters"] == before["clusters"]
    assert h.local.read()["clusters"][BLUE] == before["clusters"][BLUE]
