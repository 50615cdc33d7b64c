"""Every AWS call the adapters make, retries included, ends inside its activity's timeout."""

from cutover.platform.wiring import AlbConfig
from cutover.workflows.options import ACTIVITY_TIMEOUT


def test_a_call_and_its_retries_fit_the_activity_timeout() -> None:
    client = AlbConfig(kind="alb", region="eu-west-1", endpoint_url="http://127.0.0.1:9", routes={}).client(
        "elbv2"
    )
    config = client.meta.config
    attempts = config.retries["total_max_attempts"]
    worst = attempts * (config.connect_timeout + config.read_timeout)
    assert worst < ACTIVITY_TIMEOUT.total_seconds(), worst
    assert config.retries["mode"] == "standard"
