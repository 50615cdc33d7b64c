"""A ready-made local environment: blue with a shop's workloads, green empty."""

from pathlib import Path

from cutover.platform.local import LocalEnvironment, State, empty_state, record_cron_snapshot

BLUE = "eks"
GREEN = "eks-fargate"


def demo_state(failures: dict[str, object] | None = None) -> State:
    state = empty_state(BLUE, GREEN)
    state["clusters"][BLUE] = {
        "billing/cronjob/nightly-invoices": {
            "replicas": 1,
            "image": "billing:4.2",
            "suspended": False,
            "exposed": False,
            "ready": True,
        },
        "billing/cronjob/ledger-export": {
            "replicas": 1,
            "image": "ledger:1.9",
            "suspended": False,
            "exposed": False,
            "ready": True,
        },
        "shop/deployment/email-worker": {
            "replicas": 2,
            "image": "email:2.0",
            "exposed": False,
            "ready": True,
        },
        "shop/deployment/checkout": {"replicas": 3, "image": "checkout:7.1", "exposed": True, "ready": True},
        "shop/deployment/catalog": {"replicas": 2, "image": "catalog:3.4", "exposed": True, "ready": True},
    }
    state["failures"] = dict(failures or {})
    record_cron_snapshot(state)
    return state


def seed(path: Path, failures: dict[str, object] | None = None) -> LocalEnvironment:
    env = LocalEnvironment(path)
    env.create(demo_state(failures))
    return env
