"""The migration's metrics, on the worker's Prometheus endpoint (`--metrics-port`), through
workflow.metric_meter(): it records nothing while a workflow replays, so a replay never counts twice.

Gauges hold the last value the worker that ran the migration's latest workflow task set. The
migration refreshes them from its status after each task (MigrationMetrics.refresh, where the UI's
details are rendered): a worker that restarted or took the migration over shows it from its first new
task, and a value is sent only when it changed. Labels are bounded: the migration (its workflow id),
a service, a gate, a phase, a verdict, an outcome; never a run id or a time. README: "Metrics".
"""

from collections.abc import Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import MetricGauge

with workflow.unsafe.imports_passed_through():
    from cutover.analysis.looks import ServiceLook
    from cutover.analysis.verdict import Verdict
    from cutover.models import MigrationStatus

PREFIX = "cutover_"
PHASE = PREFIX + "migration_phase"
GREEN_PERCENT = PREFIX + "migration_green_percent"
GATE_OPENED = PREFIX + "gate_opened_timestamp_seconds"
GATE_OPEN_SECONDS = PREFIX + "gate_open_seconds"
DECISIONS = PREFIX + "decisions_total"
ROLLBACKS = PREFIX + "rollbacks_total"
UNDO_STUCK = PREFIX + "undo_stuck"
VERDICTS = PREFIX + "analysis_verdicts_total"
EVALUE = PREFIX + "analysis_evalue"
BOUND = PREFIX + "analysis_bound"
# Gates wait for people: minutes to days. The worker's runtime sets these buckets (cutover/worker.py).
GATE_OPEN_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0, 259200.0)
UNKNOWN = "unknown"  # a refused decision's gate that is not the plan's: people's typos are no label
VERDICT_NAMES = frozenset(v.value for v in Verdict)

Labels = dict[str, str]


class MigrationMetrics:
    """One migration's instruments, and what this worker last showed of its gauges."""

    def __init__(self, migration: str) -> None:
        meter = workflow.metric_meter()
        self._migration = migration
        self._phase = meter.create_gauge(PHASE, "1 for the migration's current phase, 0 for one it left")
        self._green = meter.create_gauge(GREEN_PERCENT, "share of a service's traffic green serves", "%")
        self._opened = meter.create_gauge(
            GATE_OPENED, "unix time the open gate opened; 0 once it closed", "s"
        )
        self._open_seconds = meter.create_histogram_float(
            GATE_OPEN_SECONDS, "how long a gate was open, recorded when it closes, by how it closed", "s"
        )
        self._decisions = meter.create_counter(DECISIONS, "approve / reject taken, decisions refused")
        self._rollbacks = meter.create_counter(ROLLBACKS, "rollbacks started")
        self._stuck = meter.create_gauge(UNDO_STUCK, "1 while an undo keeps failing and waits for resume")
        self._verdicts = meter.create_counter(VERDICTS, "a service's verdict at the end of a step")
        self._shown: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
        self._shown_phase: str | None = None
        self._shown_gate: str | None = None

    def refresh(self, status: MigrationStatus) -> None:
        """Every gauge as the status says (sent where this worker showed another value or none)."""
        if status.phase.value != self._shown_phase:
            if self._shown_phase is not None:
                self._show(self._phase, 0, phase=self._shown_phase)
            self._show(self._phase, 1, phase=status.phase.value)
            self._shown_phase = status.phase.value if _live() else None
        for service, percent in status.weights.items():
            self._show(self._green, percent, service=service)
        gate = status.open_gate
        if self._shown_gate is not None and (gate is None or gate.name != self._shown_gate):
            self._show(self._opened, 0, gate=self._shown_gate)
        if gate is not None:
            self._show(self._opened, int(gate.opened_at.timestamp()), gate=gate.name)
        self._shown_gate = gate.name if gate is not None and _live() else None
        self._show(self._stuck, 1 if status.stuck_undo else 0)

    def gate_closed(self, gate: str, outcome: str, open_for: timedelta) -> None:
        """outcome: approved, rejected, timed-out or aborted."""
        self._open_seconds.record(open_for.total_seconds(), {"gate": gate, "outcome": outcome})
        self._show(self._opened, 0, gate=gate)

    def decision(self, gate: str, decision: str, gates: Sequence[str]) -> None:
        """decision: approve or reject (counted), refused (by the rules, with why in the timeline)."""
        known = gate if gate in gates else UNKNOWN
        self._decisions.add(1, self._labels(gate=known, decision=decision))

    def rolled_back(self) -> None:
        self._rollbacks.add(1, self._labels())

    def verdict(self, verdict: str | None) -> None:
        name = verdict if verdict in VERDICT_NAMES else UNKNOWN
        self._verdicts.add(1, self._labels(verdict=name))

    def _show(self, gauge: MetricGauge, value: int, **labels: str) -> None:
        """Set the gauge unless this worker shows that value already; nothing while replaying (the
        meter would drop it, and the next live task must send it)."""
        if not _live():
            return
        key = (gauge.name, tuple(sorted(labels.items())))
        if self._shown.get(key) == value:
            return
        self._shown[key] = value
        gauge.set(value, self._labels(**labels))

    def _labels(self, **labels: str) -> Labels:
        return {"migration": self._migration, **labels}


def record_looks(migration: str, looks: Sequence[ServiceLook]) -> None:
    """An analysis group's look: each service's e-values and the bounds they fail at, per test."""
    meter = workflow.metric_meter()
    evalue = meter.create_gauge_float(EVALUE, "e-value that green is worse than blue, this step so far")
    bound = meter.create_gauge_float(BOUND, "the e-value at which the step fails: 1 / its alpha")
    for look in looks:
        for test, judged in (("errors", look.errors), ("latency", look.latency)):
            if judged is None:
                continue
            labels = {"migration": migration, "service": look.service, "test": test}
            evalue.set(judged.e_value, labels)
            bound.set(judged.bound, labels)


def _live() -> bool:
    return not workflow.unsafe.is_replaying()
