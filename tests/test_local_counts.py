"""The local environment's traffic as counts: split by the route's weight, none on a side with none."""

from datetime import timedelta
from pathlib import Path

from cutover.demo.seed import BLUE, GREEN, seed
from cutover.models import WeightChange
from cutover.platform.local import LOCAL_REQUESTS_PER_SECOND


def test_counts_follow_the_weights(tmp_path: Path) -> None:
    local = seed(tmp_path / "local.json", {"green_error_from_weight": 25})
    minute = timedelta(minutes=1)
    assert local.counts(GREEN, "shop", "checkout", minute).requests == 0
    assert local.counts(GREEN, "shop", "checkout", minute).p99_ms is None
    local.set_green_percent(
        WeightChange(service="checkout", namespace="shop", blue_env=BLUE, green_env=GREEN, green_percent=25)
    )
    green, blue = (local.counts(env, "shop", "checkout", minute) for env in (GREEN, BLUE))
    assert green.requests + blue.requests == LOCAL_REQUESTS_PER_SECOND * 60
    assert green.requests == LOCAL_REQUESTS_PER_SECOND * 60 // 4
    assert green.errors / green.requests > 10 * blue.errors / blue.requests, "the injected failure is missing"
