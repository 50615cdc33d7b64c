"""What a look decides; shared by every version of the analysis, so the workflow reads one type."""

from enum import StrEnum


class Verdict(StrEnum):
    FAIL = "fail"  # roll back now
    WATCHING = "watching"  # no decision yet
    PASS = "pass"  # enough green traffic and no evidence against it
    INCONCLUSIVE = "inconclusive"  # too little green traffic to say
