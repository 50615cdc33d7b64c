"""The analysis of migrations started on 0.4 (cutover.analysis.v04), which they keep to the end: alpha holds
over many looks on Poisson counts, a clear regression fails fast, no traffic or too little is inconclusive
and never a pass, one noisy p99 never decides."""

import random

from cutover.analysis.counts import Side, Window
from cutover.analysis.v04.decision import Limits, State, StepAlpha, at_end, look, spread_alpha, strongest
from cutover.analysis.v04.sequential import compare, fresh
from cutover.analysis.verdict import Verdict

LIMITS = Limits(max_error_rate=0.01, min_requests=1000)
ALPHA = StepAlpha(comparison=0.008, absolute=0.002)  # 1% in all


def poisson(rng: random.Random, mean: float) -> int:
    """Normal approximation: the means here are in the hundreds or more."""
    return max(0, round(rng.gauss(mean, mean**0.5)))


def window(rng: random.Random, green: tuple[float, float], blue: tuple[float, float]) -> Window:
    """(requests per window, error rate) per side; errors are rare events (Poisson)."""
    sides = []
    for requests_mean, rate in (green, blue):
        requests = poisson(rng, requests_mean)
        sides.append(Side(requests, min(requests, poisson(rng, requests * rate))))
    return Window(sides[0], sides[1])


def run(rng: random.Random, green_rate: float, looks: int = 120) -> Verdict:
    state = State.start().next_step(ALPHA)
    for _ in range(looks):
        decision = look(state, window(rng, (300, green_rate), (5700, 0.01)), LIMITS)
        if decision.verdict is Verdict.FAIL:
            return Verdict.FAIL
        state = decision.state
    return at_end(state, LIMITS).verdict


def test_equal_error_rates_keep_alpha_over_many_looks() -> None:
    rng = random.Random(1)
    runs = 400
    failed = sum(run(rng, 0.01) is Verdict.FAIL for _ in range(runs))
    budget = ALPHA.comparison + ALPHA.absolute
    assert failed / runs <= budget, f"{failed} of {runs} A/A runs failed over 120 looks"


def test_a_clear_regression_fails_within_a_few_looks() -> None:
    rng = random.Random(2)
    state, looks = State.start().next_step(ALPHA), 0
    while True:
        looks += 1
        decision = look(state, window(rng, (300, 0.05), (5700, 0.01)), LIMITS)
        state = decision.state
        if decision.verdict is Verdict.FAIL:
            break
        assert looks < 10, "5x blue's error rate went unnoticed for 10 looks"
    assert any("blue's" in reason for reason in decision.reasons), decision.reasons


def test_no_green_traffic_is_inconclusive_never_a_pass() -> None:
    state = State.start().next_step(ALPHA)
    for _ in range(30):
        decision = look(state, Window(Side(0, 0), Side(6000, 60)), LIMITS)
        assert decision.verdict is Verdict.WATCHING
        state = decision.state
    end = at_end(state, LIMITS)
    assert end.verdict is Verdict.INCONCLUSIVE and "0 requests" in end.reasons[0]


def test_fewer_requests_than_the_minimum_are_inconclusive() -> None:
    state = look(State.start().next_step(ALPHA), Window(Side(999, 0), Side(6000, 60)), LIMITS).state
    assert at_end(state, LIMITS).verdict is Verdict.INCONCLUSIVE
    state = look(state, Window(Side(1, 0), Side(6000, 60)), LIMITS).state
    assert at_end(state, LIMITS).verdict is Verdict.PASS


def test_a_side_without_requests_leaves_the_comparison_unchanged() -> None:
    evidence = fresh()
    assert compare(evidence, 0, 0, 6000, 60) == evidence
    assert compare(evidence, 6000, 600, 0, 0) == evidence, "100% green compared with an empty blue"


def test_green_over_the_absolute_limit_fails_even_with_blue_as_bad() -> None:
    rng = random.Random(3)
    state = State.start().next_step(ALPHA)
    for _ in range(30):
        decision = look(state, window(rng, (3000, 0.05), (3000, 0.05)), LIMITS)
        state = decision.state
        if decision.verdict is Verdict.FAIL:
            break
    assert decision.verdict is Verdict.FAIL
    assert len(decision.reasons) == 1 and decision.reasons[0].startswith("green's error rate is above 0.01")


def test_latency_fails_only_after_consecutive_bad_windows() -> None:
    def latency(green_p99: float) -> Window:
        return Window(Side(1000, 0, green_p99, 1000), Side(1000, 0, 100.0, 1000))

    state = State.start().next_step(ALPHA)
    for p99 in (200.0, 200.0, 100.0, 200.0, 200.0):  # a good window resets the count
        decision = look(state, latency(p99), LIMITS)
        assert decision.verdict is Verdict.WATCHING
        state = decision.state
    few = Window(Side(1000, 0, 900.0, 10), Side(1000, 0, 100.0, 1000))
    state = look(state, few, LIMITS).state
    assert state.bad_latency_windows == 2, "a p99 from 10 samples counted, or reset the count"
    assert look(state, latency(200.0), LIMITS).verdict is Verdict.FAIL


def test_the_shares_of_alpha_add_up_and_nothing_compares_at_100_percent() -> None:
    shares = spread_alpha(0.01, [True, True, True, False, False])
    assert abs(sum(s.comparison + s.absolute for s in shares) - 0.01) < 1e-12
    assert shares[0].comparison > shares[1].comparison == shares[2].comparison > 0
    assert shares[3].comparison == shares[4].comparison == 0, "a comparison started with no blue traffic"
    assert all(s.absolute > 0 for s in shares)


def test_a_regression_that_starts_in_a_later_step_is_caught_by_that_steps_own_evidence() -> None:
    rng = random.Random(4)
    shares = spread_alpha(0.01, [True, True, True])
    state = State.start()
    for alpha in shares[:2]:  # two healthy steps sink the first step's evidence
        state = state.next_step(alpha)
        for _ in range(30):
            state = look(state, window(rng, (1500, 0.01), (4500, 0.01)), LIMITS).state
    first = strongest(state.comparison[:1])
    assert first is not None and first.e_value < 1
    decision = look(state.next_step(shares[2]), window(rng, (4500, 0.03), (1500, 0.01)), LIMITS)
    assert decision.verdict is Verdict.FAIL, "a 3x regression at 75% went unnoticed at the first look"
    assert "over its bound" in decision.reasons[0]


def test_evidence_from_the_first_step_carries_on() -> None:
    rng = random.Random(5)
    shares = spread_alpha(0.01, [True, True])
    state = State.start().next_step(shares[0])
    for _ in range(5):  # 2x at 2%: not enough to decide in five looks
        state = look(state, window(rng, (120, 0.02), (5880, 0.01)), LIMITS).state
    before = state.comparison[0].evidence.log_e
    state = look(state.next_step(shares[1]), window(rng, (1500, 0.02), (4500, 0.01)), LIMITS).state
    assert len(state.comparison) == 2 and state.comparison[0].evidence.log_e > before
    assert state.step_green_requests < 2000, "the new step's request count includes the last step's"
