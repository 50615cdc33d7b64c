"""A journal page as a file or an object: its name, and reading it back."""

import re

from pydantic import ValidationError

from cutover.models import JournalPage
from cutover.platform.errors import PermanentError

PAGE_NAME = re.compile(r"page-\d+\.json")


def page_name(seq: int) -> str:
    """page-000000.json: listed in order up to a million pages (the seq inside decides after that)."""
    return f"page-{seq:06d}.json"


def parse_page(text: str | bytes, where: str) -> JournalPage:
    """A page, or a permanent error naming where: a page that does not parse will not parse again."""
    try:
        return JournalPage.model_validate_json(text)
    except ValidationError as error:
        problem = error.errors()[0]["msg"] if error.errors() else str(error)
        raise PermanentError(f"{where} is not a journal page: {problem}", "journal.BadPage") from None
