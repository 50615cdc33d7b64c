"""Optional copy of the post-release review in S3, where the rest of the team reads it."""

from typing import Any

from botocore.exceptions import ClientError

from cutover.platform.aws.errors import translate


def upload_review(s3: Any, bucket: str, key: str, markdown: str) -> str:
    """Put the review (idempotent: same key, same body); return its s3:// address."""
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=markdown.encode(), ContentType="text/markdown")
    except ClientError as error:
        raise translate(error, "PutObject", f"s3://{bucket}/{key}") from error
    return f"s3://{bucket}/{key}"


class S3ReviewStore:
    """The ReviewStore in S3: one object per migration under prefix."""

    def __init__(self, s3: Any, bucket: str, prefix: str = ""):
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix

    def upload(self, workflow_id: str, review: str) -> str:
        return upload_review(self.s3, self.bucket, f"{self.prefix}{workflow_id}.md", review)
