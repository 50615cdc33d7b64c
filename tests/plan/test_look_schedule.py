"""The looks through one bake follow MigrationWorkflow._watch: a look every interval, the last one
counting what is left; a bake shorter than the interval looks once, after the bake; a 0s bake once,
after one interval. tests/plan/test_traffic_estimate_runs.py checks the same against real runs."""

from datetime import timedelta

import pytest

from cutover.plan.look_schedule import LookSchedule, look_schedule

S, M = timedelta(seconds=1), timedelta(minutes=1)

# (bake, interval, the looks, what plan show says)
CASES = [
    (30 * M, M, LookSchedule(30, M, M), "a look every 1m (30 looks)"),
    (2 * S, M, LookSchedule(1, 2 * S, 2 * S), "one look after 2s"),
    (timedelta(0), M, LookSchedule(1, M, M), "one look after 1m"),
    (M, M, LookSchedule(1, M, M), "one look after 1m"),
    (90 * S, M, LookSchedule(2, M, 30 * S), "a look every 1m (2 looks, the last after 30s)"),
    (61 * S, M, LookSchedule(2, M, S), "a look every 1m (2 looks, the last after 1s)"),
    (2 * 60 * M, 3 * M, LookSchedule(40, 3 * M, 3 * M), "a look every 3m (40 looks)"),
]


@pytest.mark.parametrize(("bake", "interval", "looks", "words"), CASES, ids=[c[3] for c in CASES])
def test_looks_per_bake(bake: timedelta, interval: timedelta, looks: LookSchedule, words: str) -> None:
    assert look_schedule(bake, interval) == looks
    assert looks.describe() == words


def test_the_looks_count_the_whole_bake_and_a_0s_bake_one_interval() -> None:
    assert look_schedule(90 * S, M).counted == 90 * S
    assert look_schedule(2 * S, M).counted == 2 * S
    assert look_schedule(timedelta(0), M).counted == M
