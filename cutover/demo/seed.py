"""A ready-made local environment: blue with a shop's workloads, green empty but for its configuration.
The file's format (version 1) is cutover.platform.local_state's."""

from datetime import UTC, datetime
from pathlib import Path

from cutover.platform.local import LocalEnvironment, State, empty_state, record_cron_snapshot
from cutover.platform.local_state import digest

BLUE = "eks"
GREEN = "eks-fargate"

SHOP = {"app.kubernetes.io/part-of": "shop"}
BILLING = {"app.kubernetes.io/part-of": "billing"}


def demo_configuration() -> dict[str, object]:
    """ConfigMaps and Secrets the platform team provisioned in both clusters (values as digests)."""
    return {
        "shop/configmap/shop-settings": {"data": {"CURRENCY": digest("EUR"), "REGION": digest("eu-west-1")}},
        "shop/secret/payments-api": {"data": {"API_KEY": digest("demo-only-not-a-secret")}},
        "billing/secret/ledger-db": {"data": {"URL": digest("postgres://ledger.internal/ledger")}},
    }


def demo_state(failures: dict[str, object] | None = None) -> State:
    state = empty_state(BLUE, GREEN)
    state["clusters"][BLUE] = {
        **demo_configuration(),
        "billing/cronjob/nightly-invoices": {
            "replicas": 1,
            "image": "billing:4.2",
            "schedule": "0 2 * * *",
            "suspended": False,
            "exposed": False,
            "ready": True,
            "labels": BILLING,
            "config_refs": ["secret/ledger-db"],
        },
        "billing/cronjob/ledger-export": {
            "replicas": 1,
            "image": "ledger:1.9",
            "schedule": "30 3 * * *",
            "time_zone": "Europe/Berlin",
            "suspended": False,
            "exposed": False,
            "ready": True,
            "labels": BILLING,
            "config_refs": ["secret/ledger-db"],
        },
        "shop/deployment/email-worker": {
            "replicas": 2,
            "image": "email:2.0",
            "exposed": False,
            "ready": True,
            "labels": SHOP,
            "config_refs": ["configmap/shop-settings"],
        },
        "shop/deployment/checkout": {
            "replicas": 3,
            "image": "checkout:7.1",
            "exposed": True,
            "ready": True,
            "labels": SHOP,
            "config_refs": ["configmap/shop-settings", "secret/payments-api"],
        },
        "shop/deployment/catalog": {
            "replicas": 2,
            "image": "catalog:3.4",
            "exposed": True,
            "ready": True,
            "labels": SHOP,
            "config_refs": ["configmap/shop-settings"],
        },
        "shop/daemonset/log-shipper": {
            "replicas": 1,
            "image": "fluent-bit:3.0",
            "ready": True,
            "labels": SHOP,
        },
    }
    state["clusters"][GREEN] = demo_configuration()
    state["failures"] = dict(failures or {})
    record_cron_snapshot(state)
    return state


def seed(path: Path, failures: dict[str, object] | None = None) -> LocalEnvironment:
    """The demo shop, with its clock stopped now: scheduled times come only with advance_clock."""
    env = LocalEnvironment(path)
    env.create(demo_state(failures))
    env.freeze_clock(datetime.now(UTC).replace(microsecond=0))
    return env
