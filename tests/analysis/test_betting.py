"""The bets under the comparisons: the evidence of a look, its tempering by the noise, the plug-in ratio
that follows the data, and the change detector that restarts instead of sinking."""

import math

from cutover.analysis.betting import PRIOR_RATIO, Detector, Look, StepTest


def test_a_look_at_equal_rates_is_evidence_against_a_worse_green() -> None:
    look = Look(green_trials=300, green_bad=3, blue_trials=5700, blue_bad=57)
    assert look.evidence(2.0) < 0 and look.evidence(1.0) == 0.0


def test_noise_tempers_the_evidence() -> None:
    poisson = Look(300, 9, 5700, 57)
    bursty = Look(300, 9, 5700, 57, inflation=3.0)
    assert math.isclose(bursty.evidence(2.0), poisson.evidence(2.0) / 3)


def test_a_side_without_trials_tells_nothing() -> None:
    assert Look(0, 0, 5700, 57).evidence(2.0) == 0.0
    assert Look(6000, 600, 0, 0).evidence(2.0) == 0.0, "100% green compared with an empty blue"
    test = StepTest(alpha=0.01)
    assert test.add(Look(6000, 600, 0, 0)) == test


def test_the_bet_starts_at_the_prior_and_follows_the_data() -> None:
    test = StepTest(alpha=0.01)
    assert test.ratio == PRIOR_RATIO
    for _ in range(20):  # green at blue's rate
        test = test.add(Look(3000, 30, 3000, 30))
    assert test.ratio < 1.1, "a healthy green still bet on"
    for _ in range(20):  # green at 1.2x
        test = test.add(Look(3000, 36, 3000, 30))
    assert 1.1 < test.ratio < 1.3


def test_the_detector_restarts_instead_of_sinking() -> None:
    detector = Detector(log_bound=8.0)
    for _ in range(30):
        detector = detector.add(Look(300, 3, 5700, 57))
    step = StepTest(alpha=0.01)
    for _ in range(30):
        step = step.add(Look(300, 3, 5700, 57))
    regressed = Look(300, 6, 5700, 57)
    assert detector.add(regressed).log_e > 0 > step.add(regressed).log_e
