"""How fast plans validate and expand into steps, for plans of growing size (prints figures)."""

import time

from cutover.plan.model import parse_plan
from cutover.plan.steps import planned_steps


def plan_with(services: int) -> dict[str, object]:
    return {
        "name": "bench",
        "source": {"name": "eks"},
        "target": {"name": "eks-fargate"},
        "services": [
            {
                "name": f"svc-{i}",
                "workload": f"deployment/svc-{i}",
                "exposure": "exposed" if i % 2 else "non-exposed",
            }
            for i in range(services)
        ],
        "gates": {"require": ["uat"], "approvers": ["alice"]},
    }


def main() -> None:
    for size in (10, 100, 1000):
        data = plan_with(size)
        rounds = 50
        started = time.perf_counter()
        for _ in range(rounds):
            plan = parse_plan(data)
            steps = planned_steps(plan, {s.name: s.exposure.value == "exposed" for s in plan.services})
        per_round = (time.perf_counter() - started) / rounds * 1000
        print(f"{size:5d} services: validate + expand {per_round:7.2f} ms ({len(steps)} steps)")


if __name__ == "__main__":
    main()
