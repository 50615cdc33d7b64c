"""`cutover demo`: a whole migration end to end, on simulated clusters behind a moto ALB.

The clusters are the embedded local environment; routing and metrics are the production ALB
and CloudWatch adapters talking to a moto server the demo starts, so the demo runs the AWS path.
"""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from temporalio.client import Client

from cutover.analysis.counting import BASELINE_PERIODS
from cutover.demo.aws import METRICS_WINDOW, DemoAws, create_alb, exposed_services, write_platform_config
from cutover.demo.devserver import DevServer, start_dev_server
from cutover.demo.motoserver import MotoServer, moto_environment, start_moto_server
from cutover.demo.notification_receiver import DESTINATION, NotificationReceiver, start_notification_receiver
from cutover.demo.seed import BLUE, GREEN, seed
from cutover.demo.shop_services import ShopServices, start_shop_services
from cutover.demo.traffic import TrafficPublisher, traffic_text
from cutover.durations import format_duration
from cutover.models import GateDecision, MigrationStatus, Outcome, Phase
from cutover.plan.model import Plan, parse_plan
from cutover.platform.aws.alb import AlbRouter
from cutover.platform.local import LocalEnvironment
from cutover.temporal.settings import task_queue_from_env
from cutover.temporal.start_options import migration_start_options
from cutover.workflows.migration import MigrationWorkflow

DEMO_APPROVER = "demo-approver"
DEMO_NAMESPACE = "default"  # the dev server the demo starts has this one

Echo = Callable[[str], None]


def demo_plan(shop: ShopServices | None = None) -> Plan:
    """The demo shop's plan with timings short enough to watch: three looks per bake and in the
    monitoring window. At the publisher's 20,000 requests/s the 2% step serves 2,400 green requests
    in a bake, over min_requests; the 5% limit leaves a 2x green (2%) to the comparison with blue,
    which catches it at the first look at 25% or 75%. alpha 0.001, not 0.01: a healthy demo runs in
    CI (simulated, 0 of 30,000 healthy demos rolled back, against about 1 in 800 at 0.01).
    With the shop's HTTP front (`shop`), the practice's checks too (demo_checks), and every
    notification to the demo's receiver."""
    return parse_plan(
        {
            "name": "demo-shop-to-fargate",
            "source": {"name": BLUE, "kind": "local"},
            "target": {"name": GREEN, "kind": "local"},
            "services": [
                {"name": "nightly-invoices", "workload": "cronjob/nightly-invoices", "namespace": "billing"},
                {"name": "ledger-export", "workload": "cronjob/ledger-export", "namespace": "billing"},
                {"name": "email-worker", "workload": "deployment/email-worker", "namespace": "shop"},
                {"name": "checkout", "workload": "deployment/checkout", "namespace": "shop"},
                {"name": "catalog", "workload": "deployment/catalog", "namespace": "shop"},
            ],
            "non_exposed": {"batch_size": 2, "parallelism": 2},
            "traffic": {"steps": [2, 25, 75, 100], "bake": "6s"},
            "parallel_operation": {"duration": "6s", "health_check_interval": "2s"},
            "gates": {
                "require": ["uat", "traffic-25", "full-cutover"],
                "approvers": [DEMO_APPROVER, os.environ.get("CUTOVER_USER") or "operator"],
                "timeout": "1h",
                "on_timeout": "pause",
            },
            "analysis": {
                "interval": METRICS_WINDOW,
                "alpha": 0.001,
                "min_requests": 1000,
                "max_error_rate": 0.05,
            },
            "monitoring": {"window": "6s"},
            "uat": {"route": {"header": "X-Cutover", "value": "green"}},
            "checks": demo_checks(shop) if shop else [],
            # Everything to the receiver the demo starts (cutover.demo.notification_receiver).
            "notify": {"routes": [{"to": [DESTINATION], "events": ["*"]}]} if shop else {},
        }
    )


def demo_checks(shop: ShopServices) -> list[dict[str, object]]:
    """A load comparison of blue and green before any user (validation), green's replica in sync at
    every look while green takes traffic, and an end-to-end probe before full cutover."""
    targets = {"blue": shop.blue_url, "green": shop.green_url}
    return [
        {
            "name": "load-comparison",
            "kind": "load",
            "stages": ["validation"],
            "load": {
                "targets": targets,
                "environments": ["blue", "green"],
                "rate": 200,
                "duration": "5s",
                "ramp": "1s",
                "requests": [{"path": "/api/catalog"}],
                "expect": {"max_error_rate": 0.01, "max_p99_ratio": 3, "max_error_rate_increase": 0.01},
            },
        },
        {
            "name": "orders-in-sync",
            "kind": "http",
            "stages": ["traffic-step", "monitoring"],
            "continuous": True,
            "http": {
                "targets": targets,
                "requests": [{"path": "/replication", "expect": {"json_fields": {"in_sync": True}}}],
                "retries": 0,
            },
        },
        {
            "name": "e2e",
            "kind": "http",
            "stages": ["final"],
            "http": {
                "targets": targets,
                "environments": ["blue", "green"],
                "requests": [
                    {"path": "/health", "expect": {"json_fields": {"status": "ok"}}},
                    {"path": "/api/catalog", "expect": {"json_fields": {"0.sku": "tea-01"}}},
                ],
                "retries": 1,
                "retry_interval": "1s",
            },
        },
    ]


def local_demo_plan() -> Plan:
    """The demo plan for the local environment's own metrics (100 requests/s per service, not the
    publisher's 20,000), as the benches run it: a step passes on any green traffic."""
    plan = demo_plan()
    return plan.model_copy(update={"analysis": plan.analysis.model_copy(update={"min_requests": 1})})


def looks_text(plan: Plan) -> str:
    """How the plan analyses, in a sentence for the demo's first lines of output."""
    analysis = plan.analysis
    return (
        f"Analysis: a look every {format_duration(analysis.interval)} through each "
        f"{format_duration(plan.traffic.bake)} bake and the {format_duration(plan.monitoring.window)} "
        f"monitoring window; green's 5xx against blue's at alpha {analysis.alpha:g}, "
        f"a step passes on {analysis.min_requests:,} green requests"
    )


def checks_text(plan: Plan, shop: ShopServices, failing_check: str | None) -> str:
    """The plan's checks and the shop's front they test, in a line for the demo's first lines."""
    checks = ", ".join(f"{c.name} ({c.kind} at {', '.join(s.value for s in c.stages)})" for c in plan.checks)
    broken = f"; green is broken where {failing_check} looks (--fail-check)" if failing_check else ""
    return f"Checks: {checks}; the shop's front: blue {shop.blue_url}, green {shop.green_url}{broken}"


@dataclass
class DemoOptions:
    data_dir: Path
    port: int
    ui_port: int
    auto_approve: bool
    failures: dict[str, object]
    failing_check: str | None = None
    keep_servers: bool = False  # after the migration, until Ctrl-C: the UI, status and review stay readable


def start_worker(
    data_dir: Path, address: str, platform_config: Path, task_queue: str
) -> subprocess.Popen[bytes]:
    """The worker on the demo's platform config, with dummy AWS credentials only (moto takes any), on
    the demo's dev server: its default namespace and the task queue the migration is started on, through
    a profile of its own."""
    profile = data_dir / "temporal.toml"
    profile.write_text(f'[profile.default]\naddress = "{address}"\nnamespace = "{DEMO_NAMESPACE}"\n')
    # None of the operator's Temporal settings (a Cloud or mTLS profile would try TLS on the dev server)
    own = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env = {
        **moto_environment(own),
        "TEMPORAL_CONFIG_FILE": str(profile),
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": DEMO_NAMESPACE,
        "CUTOVER_TASK_QUEUE": task_queue,
        "CUTOVER_LOCAL_STATE": str(data_dir / "local-env.json"),
        "CUTOVER_REPORT_DIR": str(data_dir / "reports"),
        "CUTOVER_PLATFORM_CONFIG": str(platform_config),
    }
    log = open(data_dir / "worker.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "cutover.worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def follow(client: Client, workflow_id: str, auto_approve: bool, echo: Echo) -> MigrationStatus:
    """Print each new event; approve gates when asked to; return the final status."""
    handle = client.get_workflow_handle(workflow_id)
    seen, gates_seen = 0, set()
    while True:
        status: MigrationStatus = await handle.query(MigrationWorkflow.status)
        for event in status.events_since(seen):
            echo(event.line())
        seen = status.events_recorded
        gate = status.open_gate
        if gate and gate.name not in gates_seen:
            gates_seen.add(gate.name)
            if auto_approve:
                decision = GateDecision(gate=gate.name, sender=DEMO_APPROVER, comment="auto-approved")
                await handle.signal(MigrationWorkflow.approve, decision)
            else:
                echo(
                    f"  -> to approve: cutover approve {workflow_id} --gate {gate.name} --as {DEMO_APPROVER}"
                )
        if status.phase == Phase.DONE:
            return status
        await asyncio.sleep(0.5)


async def end_earlier_demos(client: Client, echo: Echo) -> None:
    """A demo stopped with Ctrl-C left its migration running in the dev server's database, holding the
    demo workloads' leases; the local environment is seeded afresh, so that migration is moot."""
    query = f"MigrationPlan = '{demo_plan().name}' AND ExecutionStatus = 'Running'"
    async for execution in client.list_workflows(query):
        await client.get_workflow_handle(execution.id).terminate("a new demo re-seeded the local environment")
        echo(f"Ended {execution.id}, left running by an earlier demo")


def print_line(line: str) -> None:
    print(line, flush=True)


def start_aws(
    moto: MotoServer, local: LocalEnvironment, data_dir: Path, notifications: dict[str, object]
) -> tuple[DemoAws, Path]:
    """The ALB for the exposed services in moto, and the platform config the worker reads."""
    aws = create_alb(moto.client, exposed_services(local.read(), BLUE), BLUE, GREEN)
    config = data_dir / "platform.yaml"
    write_platform_config(config, aws, moto.endpoint, notifications)
    return aws, config


def echo_alb_weights(router: AlbRouter, echo: Echo) -> None:
    for key in router.routes:
        green = router.green_percent(*key.split("/"))
        echo(f"ALB weights read back from moto: {key} blue {100 - green} / green {green}")


async def run_demo(
    options: DemoOptions, echo: Echo, on_done: Callable[[MigrationStatus], None]
) -> MigrationStatus:
    """Run the demo; on_done hears the outcome as the migration ends, before any time the servers
    are kept up for (options.keep_servers)."""
    server: DevServer | None = None
    moto: MotoServer | None = None
    worker: subprocess.Popen[bytes] | None = None
    publisher: TrafficPublisher | None = None
    shop: ShopServices | None = None
    receiver: NotificationReceiver | None = None
    try:
        echo(f"LOCAL DEMO — simulated clusters {BLUE} (blue) and {GREEN} (green); data in {options.data_dir}")
        shop = await start_shop_services(options.failing_check)
        plan = demo_plan(shop)
        echo(traffic_text(options.failures))
        echo(looks_text(plan))
        echo(checks_text(plan, shop, options.failing_check))
        server = await start_dev_server(options.data_dir, options.port, options.ui_port)
        echo(f"Temporal dev server on {server.address}, Web UI {server.ui_url}")
        moto = start_moto_server()
        echo(
            f"Routing and metrics: production ALB/CloudWatch code against a local moto server {moto.endpoint}"
        )
        client = server.client
        await end_earlier_demos(client, echo)
        local = seed(options.data_dir / "local-env.json", options.failures)
        receiver = await start_notification_receiver(echo)
        echo(f"Notifications: all to a CloudEvents receiver on {receiver.url}, printed as NOTIFIED")
        notifications: dict[str, object] = {
            "ui_url": server.ui_url,
            "destinations": {DESTINATION: {"cloudevents": receiver.url}},
        }
        aws, platform_config = start_aws(moto, local, options.data_dir, notifications)
        router = AlbRouter(moto.client("elbv2"), aws.routes)
        publisher = TrafficPublisher(router, moto.client("cloudwatch"), aws.targets, local, echo)
        history = BASELINE_PERIODS * plan.analysis.interval.total_seconds()
        publisher.backfill(round(history), datetime.now(UTC))
        publisher.start()
        # One task queue for the worker and the migration: CUTOVER_TASK_QUEUE if set, as elsewhere.
        task_queue = task_queue_from_env()
        worker = start_worker(options.data_dir, server.address, platform_config, task_queue)
        workflow_id = f"cutover-demo-{uuid.uuid4().hex[:8]}"
        await client.start_workflow(
            MigrationWorkflow.run,
            plan,
            id=workflow_id,
            task_queue=task_queue,
            **migration_start_options(plan),
        )
        link = f"{server.ui_url}/namespaces/{DEMO_NAMESPACE}/workflows/{workflow_id}"
        echo(f"Migration {workflow_id} started on task queue {task_queue}. Watch it: {link}")
        only_migrations = "query=WorkflowType%3D%22MigrationWorkflow%22"
        migrations = f"{server.ui_url}/namespaces/{DEMO_NAMESPACE}/workflows?{only_migrations}"
        echo(f"Only the migrations (no lease workflows): {migrations}")
        if not options.auto_approve:
            echo("Gates wait for you. In another shell (same folder):")
            echo("  . .venv/bin/activate")
            echo(f"  export TEMPORAL_ADDRESS={server.address}")
            echo(f"  cutover status {workflow_id}")
            echo(f"  cutover approve {workflow_id} --gate uat --as {DEMO_APPROVER}")
            echo(f"  cutover abort {workflow_id} --as {DEMO_APPROVER} --reason 'changed my mind'")
            echo("Ctrl-C stops the servers and the worker.")
        status = await follow(client, workflow_id, options.auto_approve, echo)
        echo_alb_weights(router, echo)
        on_done(status)
        if options.keep_servers:
            await keep_serving(server.address, link, workflow_id, options.data_dir, echo)
        return status
    finally:
        if publisher is not None:
            publisher.stop()
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=15)
        if moto is not None:
            moto.stop()
        if server is not None:
            await server.stop()
        if shop is not None:
            await shop.stop()
        if receiver is not None:
            await receiver.stop()


async def keep_serving(address: str, link: str, workflow_id: str, data_dir: Path, echo: Echo) -> None:
    """Keep every server up until Ctrl-C, so the printed link and a second shell's commands work."""
    echo(f"The servers stay up until Ctrl-C. The migration in the Web UI: {link}")
    echo("In another shell (same folder, . .venv/bin/activate):")
    echo(f"  TEMPORAL_ADDRESS={address} cutover status {workflow_id}")
    echo(
        f"  TEMPORAL_ADDRESS={address} CUTOVER_REPORT_DIR={data_dir / 'reports'} cutover report {workflow_id}"
    )
    await asyncio.Event().wait()


def exit_code(status: MigrationStatus) -> int:
    return 0 if status.outcome == Outcome.SUCCEEDED else 1
