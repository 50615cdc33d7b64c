"""The migration's metrics as the workflows record them, read from the SDK's own in-process metric buffer
(the worker's runtime sends them there instead of to a Prometheus endpoint), on a time-skipping server
of this module's own: what each moment records. A worker taking a migration over (a replay, then its
first new task) is tested with worker processes: tests/integration/test_migration_metrics.py."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment

from cutover.models import GateDecision, Phase
from cutover.temporal.payloads import DATA_CONVERTER
from cutover.temporal.search_attribute_registration import register_search_attributes
from cutover.workflows.migration import MigrationWorkflow
from tests.conftest import binary
from tests.workflows.helpers import Harness, make_plan, migration
from tests.workflows.support import signal

GATES = {"require": ["uat"], "approvers": ["alice", "bob"], "timeout": "4h", "on_timeout": "rollback"}
EXPOSED = ("catalog", "checkout")


@dataclass(frozen=True)
class Update:
    name: str
    value: float
    labels: dict[str, str]


class Metrics:
    """The buffer's updates of cutover's own metrics, in the order the worker recorded them."""

    def __init__(self, buffer: MetricBuffer) -> None:
        self.buffer = buffer
        self.updates: list[Update] = []

    def read(self) -> list[Update]:
        for update in self.buffer.retrieve_updates():
            if update.metric.name.startswith("cutover_"):
                labels = {k: str(v) for k, v in update.attributes.items()}
                self.updates.append(Update(update.metric.name, float(update.value), labels))
        return self.updates

    def of(self, name: str, **labels: str) -> list[float]:
        """Each update of the metric whose labels include labels: a counter's additions, a gauge's values."""
        return [u.value for u in self.read() if u.name == name and labels.items() <= u.labels.items()]

    def gauges(self, name: str, key: str) -> dict[str, float]:
        """A gauge's latest value per value of one label."""
        return {u.labels[key]: u.value for u in self.read() if u.name == name}

    def forget(self) -> None:
        self.read()
        self.updates = []


@pytest.fixture(scope="module")
def buffer() -> MetricBuffer:
    return MetricBuffer(1_000_000)


@pytest.fixture(scope="module")
async def metered_env(buffer: MetricBuffer) -> AsyncIterator[WorkflowEnvironment]:
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=binary("temporal-test-server"),
        runtime=runtime,
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture
def metrics(buffer: MetricBuffer) -> Iterator[Metrics]:
    reading = Metrics(buffer)
    reading.forget()
    yield reading


async def refuse(h: Harness, gate: str) -> None:
    await h.handle.signal(MigrationWorkflow.approve, GateDecision(gate=gate, sender="alice"))


async def test_a_rolled_back_migration_records_each_moment(
    metered_env: WorkflowEnvironment, tmp_path: Path, metrics: Metrics
) -> None:
    async with migration(metered_env, tmp_path, make_plan(gates=GATES)) as h:
        migration_id = h.handle.id
        mine: dict[str, Any] = {"migration": migration_id}
        await h.at_gate("uat")
        assert metrics.gauges("cutover_migration_phase", "phase")["validation"] == 1
        assert metrics.gauges("cutover_migration_phase", "phase")["parallel-operation"] == 0
        await refuse(h, "no-such-gate")
        await h.until(lambda s: any(e.kind == "refused" for e in s.timeline), step=timedelta(seconds=1))
        await metered_env.sleep(timedelta(minutes=30))
        await h.approve("uat")
        await h.until(lambda s: s.step.startswith("bake at 25%"))
        assert metrics.gauges("cutover_migration_green_percent", "service") == dict.fromkeys(EXPOSED, 25)
        h.local.update(lambda s: s["failures"].__setitem__("router_down", True))
        await signal(h, "abort", "carol", "bad deploy")
        await h.until(lambda s: bool(s.stuck_undo), step=timedelta(seconds=5), limit=60)
        assert metrics.of("cutover_undo_stuck", **mine)[-1] == 1
        h.local.update(lambda s: s["failures"].pop("router_down"))
        await signal(h, "resume", "carol", "router fixed")
        result = await h.handle.result()
    assert result.outcome.value == "rolled-back"
    assert metrics.of("cutover_undo_stuck", **mine)[-1] == 0
    assert metrics.of("cutover_rollbacks_total", **mine) == [1]
    assert metrics.of("cutover_decisions_total", gate="unknown", decision="refused", **mine) == [1]
    assert metrics.of("cutover_decisions_total", gate="uat", decision="approve", **mine) == [1]
    (open_for,) = metrics.of("cutover_gate_open_seconds", gate="uat", outcome="approved")
    assert 30 * 60 <= open_for < 35 * 60  # the workflow's clock: the half hour the test skipped
    assert metrics.of("cutover_gate_opened_timestamp_seconds", gate="uat", **mine)[-1] == 0
    phases = metrics.gauges("cutover_migration_phase", "phase")
    assert [phase for phase, value in phases.items() if value == 1] == [Phase.DONE.value]
    assert phases["rolling-back"] == 0
    assert metrics.gauges("cutover_migration_green_percent", "service") == dict.fromkeys(EXPOSED, 0)
    # The 2% bake ended (a verdict per exposed service); the 25% one was cut short by the abort.
    assert sum(metrics.of("cutover_analysis_verdicts_total", **mine)) == len(EXPOSED)
    evidence = {
        (u.labels["service"], u.labels["test"]) for u in metrics.read() if u.name == "cutover_analysis_evalue"
    }
    assert {(service, "errors") for service in EXPOSED} <= evidence
