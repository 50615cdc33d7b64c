"""max_error_rate and max_p99_latency_ms as multiwindow burn rates: an outage fails within minutes, a
sustained breach within half an hour, a burst of a minute or an incident blue has too never, and green
at its limit never."""

import random

from cutover.analysis.burn_rate import Budget, Counted, burning

LIMIT = 0.01
MINUTE = 60.0


def first_firing(green_rates: list[float], blue_rate: float = LIMIT, requests: int = 6000) -> int | None:
    """Feed one-minute looks of `requests` per side at these green error rates; the look (1-based) at
    which a rule fires."""
    budget = Budget()
    for number, rate in enumerate(green_rates, start=1):
        green, blue = Counted(requests, requests * rate), Counted(requests, requests * blue_rate)
        budget = budget.add(green, blue, MINUTE)
        burn = burning(budget, green, blue, LIMIT)
        if burn is not None and burn.fired:
            return number
    return None


def test_an_outage_fails_within_five_minutes() -> None:
    assert first_firing([0.2] * 10) == 5, "a 20x burn should fire once the 5-minute window is full"


def test_a_sustained_breach_fails_within_half_an_hour_and_a_minute_burst_never() -> None:
    assert first_firing([0.03] * 40) == 30
    assert first_firing([0.01] * 10 + [0.2] + [0.01] * 40) is None, "a one-minute burst rolled back"
    assert first_firing([0.01] * 10 + [0.04] * 4 + [0.01] * 40) is None, "a four-minute 4x burst rolled back"
    assert first_firing([0.01] * 10 + [0.2] * 4 + [0.01] * 40) == 12, "its second minute at 20x: an outage"


def test_an_incident_blue_has_too_is_not_greens_doing() -> None:
    assert first_firing([0.2] * 40, blue_rate=0.2) is None


def test_green_at_its_limit_never_fails_even_in_bursts() -> None:
    rng = random.Random(1)
    for _ in range(50):
        rates = [LIMIT * rng.expovariate(1.0) for _ in range(120)]  # c = 1 around the limit
        assert first_firing(rates) is None


def test_a_window_too_thin_to_judge_does_not_fire() -> None:
    """100 requests a minute allow 1 error a minute at 1%: 5 minutes allow 5, under MIN_ALLOWED."""
    assert first_firing([0.2] * 10, requests=100) is None
    assert first_firing([0.2] * 40, requests=100) == 30, "30 minutes allow 30 errors: enough to judge"


def test_no_limit_no_burn() -> None:
    assert burning(Budget(), Counted(10, 10), Counted(10, 0), 0.0) is None
