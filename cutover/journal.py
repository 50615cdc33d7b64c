"""A migration's journal: the report store's pages and the live status, put back together.

The status stays small (its first and latest events, its latest decisions), so the workflow flushes
what it records to the report store in pages; the review and `status --timeline` show all of it.
Pure, for the workflow too: `next_page` is what it flushes (store_journal), `count_page` what it
records once that is stored. A page counts what the status had dropped before its flush
(events_omitted), so the counters stay positions in the migration's events and nothing is stored twice.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cutover.models import TIMELINE_HEAD, AnalysisResult, Event, JournalPage, MigrationStatus


@dataclass(frozen=True)
class Gap:
    """Events recorded but neither stored nor kept by the status (the workflow history has them)."""

    count: int
    at: int  # the index in full_timeline of the event that follows them


def events_seen(status: MigrationStatus) -> int:
    """Every event recorded, kept or not (records before events_recorded have it 0; this never is)."""
    return len(status.timeline) + status.timeline_omitted


def analyses_seen(status: MigrationStatus) -> int:
    return len(status.analyses) + status.analyses_omitted


def unstored_events(status: MigrationStatus) -> list[Event]:
    """The events after the first events_stored, as far as the status keeps them: the latest ones, and
    those of the first TIMELINE_HEAD not stored yet (record() keeps them when it drops the middle)."""
    return status.events_since(status.events_stored)


def unstored_analyses(status: MigrationStatus) -> list[AnalysisResult]:
    """The decisions after the first analyses_stored, as far as the status keeps them (the latest)."""
    return status.analyses[max(0, status.analyses_stored - status.analyses_omitted) :]


def next_page(status: MigrationStatus) -> JournalPage:
    """The page the workflow flushes now: seq journal_pages, what is not stored yet, and how much of
    that the status has already dropped."""
    events, analyses = unstored_events(status), unstored_analyses(status)
    return JournalPage(
        seq=status.journal_pages,
        events=events,
        analyses=analyses,
        events_omitted=max(0, events_seen(status) - status.events_stored - len(events)),
        analyses_omitted=max(0, analyses_seen(status) - status.analyses_stored - len(analyses)),
    )


def count_page(status: MigrationStatus, page: JournalPage) -> None:
    """Once the page is stored: the counters move past it (events recorded meanwhile stay unstored)."""
    status.events_stored += len(page.events) + page.events_omitted
    status.analyses_stored += len(page.analyses) + page.analyses_omitted
    status.journal_pages = page.seq + 1


def stored_pages(pages: Sequence[JournalPage], status: MigrationStatus) -> list[JournalPage] | None:
    """The pages the status counts, in order (a seq from journal_pages on is a flush not counted yet);
    None when one is missing or they do not add up to its counters (another store, or the pages of an
    earlier migration with this id): then the status alone is the record, as before pages."""
    by_seq = {page.seq: page for page in pages if page.seq < status.journal_pages}
    counted = [by_seq[seq] for seq in sorted(by_seq)]
    events = sum(len(page.events) + page.events_omitted for page in counted)
    analyses = sum(len(page.analyses) + page.analyses_omitted for page in counted)
    if (
        len(counted) != status.journal_pages
        or (events, analyses) != (status.events_stored, status.analyses_stored)
        or events > events_seen(status)
        or analyses > analyses_seen(status)
    ):
        return None
    return counted


def full_timeline(pages: Sequence[JournalPage], status: MigrationStatus) -> list[Event]:
    """The stored events in order, then the status's unstored ones; without pages, status.timeline."""
    return [event for events, _ in _event_parts(pages, status) for event in events]


def timeline_gaps(pages: Sequence[JournalPage], status: MigrationStatus) -> list[Gap]:
    """Where full_timeline lacks events; without pages, the status's own gap after TIMELINE_HEAD."""
    gaps: list[Gap] = []
    index = position = 0
    for events, omitted in _event_parts(pages, status):
        # Dropped after the first TIMELINE_HEAD, which the status always keeps.
        at = index + min(max(0, TIMELINE_HEAD - position), len(events))
        if omitted and gaps and gaps[-1].at == at:  # a page of nothing but dropped events
            gaps[-1] = Gap(count=gaps[-1].count + omitted, at=at)
        elif omitted:
            gaps.append(Gap(count=omitted, at=at))
        index, position = index + len(events), position + len(events) + omitted
    return gaps


def journal_of_groups(
    pages: Callable[[str], list[JournalPage]], workflow_id: str, status: MigrationStatus
) -> list[list[JournalPage]]:
    """Each analysis group's stored pages (`pages`: a report store's), in the groups' order."""
    return [pages(analysis_group_id(workflow_id, g)) for g in range(status.analysis_group_count)]


def analysis_group_id(workflow_id: str, group: int) -> str:
    """An analysis group's workflow id: the journal its decisions are stored under, a page per step."""
    return f"{workflow_id}/analysis-{group}"


def full_analyses(
    pages: Sequence[JournalPage], status: MigrationStatus, group_pages: Sequence[Sequence[JournalPage]] = ()
) -> list[AnalysisResult]:
    """Every decision: the analysis groups' pages step by step (group by group within a step); from a
    migration whose groups stored none, the journal's stored decisions then the status's unstored
    ones; without pages, status.analyses."""
    steps = sorted({page.seq for pages_of_group in group_pages for page in pages_of_group})
    if steps:
        by_step = [{page.seq: page for page in pages_of_group} for pages_of_group in group_pages]
        return [
            result
            for step in steps
            for pages_of_group in by_step
            if step in pages_of_group
            for result in pages_of_group[step].analyses
        ]
    stored = stored_pages(pages, status)
    if stored is None:
        return list(status.analyses)
    return [result for page in stored for result in page.analyses] + unstored_analyses(status)


def _event_parts(pages: Sequence[JournalPage], status: MigrationStatus) -> list[tuple[list[Event], int]]:
    """The journal's events as (events kept, events dropped before them were stored), in order."""
    stored = stored_pages(pages, status)
    if stored is None:
        return [(status.timeline, status.timeline_omitted)]
    live = next_page(status)
    return [(page.events, page.events_omitted) for page in [*stored, live]]
