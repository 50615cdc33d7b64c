"""The plan's patterns in words: pydantic names a string that breaks its pattern by the raw regular
expression, and a plan's problems are read by people (`plan validate`, the Web UI's failed start)."""

from cutover.plan.fields import NAME_PATTERN
from cutover.plan.uat import MATCH_VALUE, TOKEN

PATTERN_WORDS = {
    NAME_PATTERN: "must be a DNS label: lowercase letters, digits and '-', starting and ending with a "
    "letter or digit",
    TOKEN: "must be an HTTP token: letters, digits and !#$%&'*+-.^_`|~, no spaces",
    MATCH_VALUE: "may not hold spaces, '\"', '*', ',', ';' or '\\'",
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$": "must start with a letter or digit, then letters, digits, '_', '.' "
    "or '-'",
    r"^/": "must start with '/'",
    r"^cronjob/[a-z0-9]([-a-z0-9]*[a-z0-9])?$": "must be 'cronjob/NAME', NAME a Kubernetes object name",
}


def pattern_words(pattern: str) -> str:
    """What a pattern asks for; one not listed is said generically, never as the expression."""
    return PATTERN_WORDS.get(pattern, "has characters it may not have")
