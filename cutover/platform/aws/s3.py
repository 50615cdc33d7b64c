"""The report store in S3, where the rest of the team reads the reviews and journals."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from cutover.models import JournalPage
from cutover.platform.aws.errors import translate
from cutover.platform.errors import PermanentError
from cutover.platform.journal_pages import PAGE_NAME, page_name, parse_page

# Pages read at once: inside botocore's pool of 10 connections a client.
S3_READS = 8
LISTING_KEYS = 1000  # the most a ListObjectsV2 call returns; more come page by page


def upload_review(s3: Any, bucket: str, key: str, markdown: str) -> str:
    """Put the review (idempotent: same key, same body); return its s3:// address."""
    return put_object(s3, bucket, key, markdown.encode(), "text/markdown")


def put_object(s3: Any, bucket: str, key: str, body: bytes, content_type: str) -> str:
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    except ClientError as error:
        raise translate(error, "PutObject", f"s3://{bucket}/{key}") from error
    return f"s3://{bucket}/{key}"


class S3ReportStore:
    """The ReportStore in S3: the review at <prefix><id>.md (where earlier releases copied it), the
    journal beside it, <prefix><id>/page-000000.json …"""

    def __init__(self, s3: Any, bucket: str, prefix: str = "", listing_keys: int = LISTING_KEYS):
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix
        self.listing_keys = listing_keys

    def put_page(self, workflow_id: str, page: JournalPage) -> None:
        key = f"{self._folder(workflow_id)}{page_name(page.seq)}"
        put_object(self.s3, self.bucket, key, page.model_dump_json().encode(), "application/json")

    def pages(self, workflow_id: str) -> list[JournalPage]:
        """Read S3_READS at a time (a boto3 client is thread-safe): a long migration has many pages."""
        with ThreadPoolExecutor(max_workers=S3_READS) as pool:
            found = list(pool.map(self._page, self._page_keys(self._folder(workflow_id))))
        return sorted(found, key=lambda page: page.seq)

    def put_review(self, workflow_id: str, markdown: str) -> str:
        return upload_review(self.s3, self.bucket, self._review_key(workflow_id), markdown)

    def review(self, workflow_id: str) -> str | None:
        try:
            return self._get(self._review_key(workflow_id)).decode()
        except PermanentError as error:
            if error.kind == "aws.NoSuchKey":
                return None
            raise

    def _page_keys(self, folder: str) -> list[str]:
        """The pages directly in folder (the Delimiter leaves out those of an id that goes on with `/`)."""
        keys = []
        try:
            listing = self.s3.get_paginator("list_objects_v2")
            parts = listing.paginate(
                Bucket=self.bucket,
                Prefix=folder,
                Delimiter="/",
                PaginationConfig={"PageSize": self.listing_keys},
            )
            for part in parts:
                keys += [item["Key"] for item in part.get("Contents", [])]
        except ClientError as error:
            raise translate(error, "ListObjectsV2", self._address(folder)) from error
        return [key for key in keys if PAGE_NAME.fullmatch(key[len(folder) :])]

    def _page(self, key: str) -> JournalPage:
        return parse_page(self._get(key), self._address(key))

    def _get(self, key: str) -> bytes:
        try:
            body: bytes = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            raise translate(error, "GetObject", self._address(key)) from error
        return body

    def _folder(self, workflow_id: str) -> str:
        return f"{self.prefix}{workflow_id}/"

    def _review_key(self, workflow_id: str) -> str:
        return f"{self.prefix}{workflow_id}.md"

    def _address(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"
