"""The ReportStore in a folder (the worker's report_dir by default): no configuration, one machine.

<root>/<id>/page-000000.json … hold the journal, <root>/<id>.md the review (where the worker has
always written it, so older reviews are found too); <id> is cutover.file_names'. Every file is
written whole (a temporary file renamed over it): a reader never sees half a page.
"""

import os
import uuid
from pathlib import Path

from cutover.file_names import file_name
from cutover.models import JournalPage
from cutover.platform.journal_pages import PAGE_NAME, page_name, parse_page


class LocalReportStore:
    def __init__(self, root: Path):
        self.root = root

    def put_page(self, workflow_id: str, page: JournalPage) -> None:
        write_whole(self.root / file_name(workflow_id) / page_name(page.seq), page.model_dump_json())

    def pages(self, workflow_id: str) -> list[JournalPage]:
        folder = self.root / file_name(workflow_id)
        if not folder.is_dir():
            return []
        found = [
            parse_page(path.read_bytes(), str(path))
            for path in folder.iterdir()
            if PAGE_NAME.fullmatch(path.name)
        ]
        return sorted(found, key=lambda page: page.seq)

    def put_review(self, workflow_id: str, markdown: str) -> str:
        path = self.root / f"{file_name(workflow_id)}.md"
        write_whole(path, markdown)
        return str(path)

    def review(self, workflow_id: str) -> str | None:
        try:
            return (self.root / f"{file_name(workflow_id)}.md").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None


def write_whole(path: Path, text: str) -> None:
    """Write a temporary file beside path, then rename it over path (atomic on one file system).

    Its own name per writer (two attempts of one activity may overlap), created with the usual
    permissions (the umask's, as the review always had; mkstemp's would be the owner's only).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "x", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
