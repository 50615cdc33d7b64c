"""`cutover status ID --timeline`: the migration's whole timeline, a page at a time (as kubectl and the
aws CLI page: each page ends with the command for the next)."""

import json
import shlex

from cutover.journal import Gap
from cutover.models import Event

PAGE_SIZE = 200


def page_lines(workflow_id: str, events: list[Event], gaps: list[Gap], start: int, limit: int) -> list[str]:
    """Events start.. (at most limit), each numbered as in the whole timeline, a line where events are
    missing; then the next page's command, if more remain."""
    missing = {gap.at: gap.count for gap in gaps}
    lines = []
    for number in range(start, min(start + limit, len(events))):
        if number in missing:
            lines.append(f"  ... {missing[number]} events not kept in the status (the history has them)")
        lines.append(f"{number:>6}{events[number].line()}")
    if start >= len(events):
        lines.append(f"no events from {start}: the timeline has {len(events)}")
    more = more_line(workflow_id, len(events), start, limit)
    return [*lines, more] if more else lines


def json_lines(events: list[Event], start: int, limit: int) -> list[str]:
    """One JSON object per event: its number in the whole timeline ("index"), then its fields."""
    return [
        json.dumps({"index": number, **events[number].model_dump(mode="json")})
        for number in range(start, min(start + limit, len(events)))
    ]


def more_line(workflow_id: str, total: int, start: int, limit: int) -> str | None:
    """How many events follow the page and the command for the next; None after the last page."""
    end = start + limit
    if end >= total:
        return None
    size = f" --limit {limit}" if limit != PAGE_SIZE else ""
    return f"{total - end} more: cutover status {shlex.quote(workflow_id)} --timeline --from {end}{size}"
