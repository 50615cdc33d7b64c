"""Free text (comments, reasons, names) placed safely inside Markdown: the review and the UI details."""

import re

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def inline(text: str) -> str:
    """One line of literal text: no table cell, list, link, heading or HTML can start inside it."""
    return _SPECIAL.sub(r"\\\1", _BREAKS.sub(" ", text))
