"""`cutover rehearse`, timed as an operator runs it (the CLI in its own process, start-up included):
examples/shop-migration.yaml, then a generated plan of 200 services shaped like it (a third CronJobs, a
third non-exposed Deployments, a third exposed Deployments, in four namespaces; the example's traffic
steps, gates, analysis, checks and notifications). No failure is injected: both must succeed.

Targets: under 30 s and 120 s. Last line: RESULT rehearse_example_s=X.X rehearse_200_s=Y.Y
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "shop-migration.yaml"
SERVICES = 200
KINDS = ("cronjob", "deployment", "deployment")  # i % 3: CronJob, non-exposed, exposed
NAMESPACES = ("shop", "billing", "search", "accounts")


def generated_plan(services: int) -> dict[str, Any]:
    """The example with `services` services instead of its five."""
    plan: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    plan["name"] = f"bench-{services}-services"
    plan["services"] = [
        {
            "name": f"svc-{i}",
            "workload": f"{KINDS[i % 3]}/svc-{i}",
            "namespace": NAMESPACES[i % len(NAMESPACES)],
            **({} if i % 3 == 0 else {"exposure": "exposed" if i % 3 == 2 else "non-exposed"}),
        }
        for i in range(services)
    ]
    plan["non_exposed"] = {"batch_size": 10, "parallelism": 5}
    return plan


def timed_rehearsal(plan: Path) -> float:
    """Seconds `cutover rehearse PLAN` took; exits if it did not end as asked (succeeded)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "cutover.cli.main", "rehearse", str(plan)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    elapsed = time.perf_counter() - started
    last = [line for line in result.stdout.splitlines() if line.startswith(("rehearsed", "outcome"))]
    print(f"{plan.name}: exit {result.returncode} in {elapsed:.1f} s wall; " + " | ".join(last), flush=True)
    if result.returncode != 0:
        sys.exit(f"rehearsal of {plan} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        large = Path(folder) / f"plan-{SERVICES}.yaml"
        large.write_text(yaml.safe_dump(generated_plan(SERVICES), sort_keys=False))
        example_s = timed_rehearsal(EXAMPLE)
        large_s = timed_rehearsal(large)
    print(f"RESULT rehearse_example_s={example_s:.1f} rehearse_200_s={large_s:.1f}")


if __name__ == "__main__":
    main()
