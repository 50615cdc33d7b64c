"""`cutover start` warns, like `plan validate`, about steps that cannot reach analysis.min_requests:
at the traffic the plan states, else at blue's recent traffic from the worker's metrics source. The
local environment serves 100 requests/s per service; no check ever stops `start`."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from cutover.analysis.counts import Baseline, Side
from cutover.cli.main import cli
from cutover.cli.traffic_at_start import recent_rps, traffic_at_start
from cutover.demo.seed import seed
from cutover.plan.model import Plan, Service, parse_plan
from cutover.platform.local import LocalEnvironment
from cutover.platform.prometheus import PrometheusMetrics, PrometheusQueries
from tests.cli.test_traffic_warnings import SHORT_BAKE_WARNING
from tests.plan.plans import DELETE, changed

UNSTATED = changed("traffic.bake", "2s", changed("analysis.expected_rps", DELETE))
STATED = changed("analysis.expected_rps", 100, UNSTATED)
MEASURED = "blue's recent traffic: checkout 100 req/s, catalog 100 req/s (last 2h)"
UNREACHABLE = "http://127.0.0.1:1"  # a Prometheus that refuses every connection
QUERIES = {"requests": "vector(1)", "errors": "vector(0)", "p99_latency_ms": "vector(1)"}
NO_SERVER = ["--address", "127.0.0.1:1"]  # `start` ends here with exit 1, after its checks


def exposed(plan: Plan) -> list[Service]:
    return [s for s in plan.services if s.name in ("checkout", "catalog")]


@pytest.fixture
def blue(tmp_path: Path) -> LocalEnvironment:
    return seed(tmp_path / "local-env.json")


def test_blue_traffic_stands_in_for_an_unstated_rps(blue: LocalEnvironment) -> None:
    plan = parse_plan(UNSTATED)
    notes = traffic_at_start(plan, exposed(plan), blue)
    assert notes.recent == MEASURED
    assert [f"warning: {w}" for w in notes.warnings[:1]] == [SHORT_BAKE_WARNING]
    assert [w.split(":")[0] for w in notes.warnings] == ["step 2%", "step 25%", "step 75%", "step 100%"]


def test_stated_traffic_wins_and_blue_is_not_read(tmp_path: Path) -> None:
    nowhere = LocalEnvironment(tmp_path / "absent.json")  # reading it would fail
    plan = parse_plan(STATED)
    notes = traffic_at_start(plan, exposed(plan), nowhere)
    assert notes.recent is None
    assert [f"warning: {w}" for w in notes.warnings[:1]] == [SHORT_BAKE_WARNING]
    assert len(notes.warnings) == 4


def test_a_services_own_rps_wins_and_only_the_others_are_read(blue: LocalEnvironment) -> None:
    plan = parse_plan(changed("services.3.expected_rps", 50_000, UNSTATED))  # checkout
    notes = traffic_at_start(plan, exposed(plan), blue)
    assert notes.recent == "blue's recent traffic: catalog 100 req/s (last 2h)"
    assert notes.warnings[0].startswith(
        "step 2%: green expects ~4 requests per 2s bake at 100 req/s (catalog);"
    )
    assert not any("checkout" in w for w in notes.warnings), "2% of 50,000 req/s fills a 2s bake"


def test_an_unreadable_source_skips_the_check_with_one_warning(tmp_path: Path) -> None:
    metrics = PrometheusMetrics(UNREACHABLE, PrometheusQueries.model_validate(QUERIES), timeout=2)
    plan = parse_plan(UNSTATED)
    notes = traffic_at_start(plan, exposed(plan), metrics)
    assert notes.recent is None
    assert len(notes.warnings) == 1
    assert notes.warnings[0].startswith(
        f"traffic check skipped: cannot read blue's recent traffic for checkout: Prometheus at "
        f"{UNREACHABLE} unreachable:"
    )


def test_a_period_without_requests_is_time_without_traffic() -> None:
    periods = (Side(requests=120, errors=0), Side(requests=0, errors=0), Side(requests=60, errors=0))
    assert recent_rps(Baseline(periods, period_seconds=60)) == 1.0


def start(tmp_path: Path, plan: dict[str, Any], platform: dict[str, Any] | None = None) -> Result:
    """`cutover start` on the local environment, or on `platform` for its metrics."""
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    env = {"CUTOVER_LOCAL_STATE": str(tmp_path / "local-env.json"), "CUTOVER_PLATFORM_CONFIG": None}
    if platform is not None:
        config = tmp_path / "platform.yaml"
        config.write_text(yaml.safe_dump(platform))
        env["CUTOVER_PLATFORM_CONFIG"] = str(config)
    return CliRunner().invoke(cli, ["start", str(path), *NO_SERVER], env=env)


def test_start_reads_blue_for_the_services_the_cluster_check_finds_exposed(
    tmp_path: Path, blue: LocalEnvironment
) -> None:
    discovered = changed(
        "services.2.exposure", "discover", changed("services.3.exposure", "discover", UNSTATED)
    )
    result = start(tmp_path, discovered)  # email-worker and checkout left to discover
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [MEASURED]
    warnings = result.stderr.splitlines()
    assert warnings[0] == SHORT_BAKE_WARNING
    assert len(warnings) == 5 and warnings[-1].startswith("error: cannot reach Temporal at 127.0.0.1:1")


def test_start_goes_on_when_the_metrics_cannot_be_read(tmp_path: Path, blue: LocalEnvironment) -> None:
    metrics = {"kind": "prometheus", "url": UNREACHABLE, "queries": QUERIES}
    result = start(tmp_path, UNSTATED, {"metrics": metrics})
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    skipped, failed = result.stderr.splitlines()
    assert skipped.startswith(
        "warning: traffic check skipped: cannot read blue's recent traffic for checkout"
    )
    assert failed.startswith("error: cannot reach Temporal at 127.0.0.1:1")
