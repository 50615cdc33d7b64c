"""What people typed, quoted in one of our messages: cut short, so a record stays small whatever was sent."""

from typing import Any


def cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: Any, limit: int = 60) -> str:
    """A value in a one-line message: quoted, escaped (repr) and cut short."""
    return cut(repr(value), limit)


def clip(text: str, limit: int) -> str:
    """text cut to limit characters, saying how much was cut (for records people read later)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"
