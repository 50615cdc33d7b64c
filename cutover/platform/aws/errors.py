"""Map AWS errors to Temporal's retry semantics: transient ones retry, bad configuration does not."""

from botocore.exceptions import ClientError
from temporalio.exceptions import ApplicationError

NON_RETRYABLE_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "ValidationError",
    "ValidationException",
    "InvalidParameterValue",
    "InvalidParameterCombination",
    "InvalidChangeBatch",
    "InvalidInput",
}


def is_non_retryable(code: str) -> bool:
    return (
        code in NON_RETRYABLE_CODES
        or code.startswith("NoSuch")
        or code.endswith(("NotFound", "NotFoundException"))
    )


def translate(error: ClientError, action: str, resource: str) -> Exception:
    """An error that names the action and resource; non-retryable when retrying cannot help."""
    code = error.response.get("Error", {}).get("Code", "Unknown")
    message = error.response.get("Error", {}).get("Message", str(error))
    text = f"{action} on {resource} failed: {code}: {message}"
    return ApplicationError(text, type=f"aws.{code}", non_retryable=is_non_retryable(code))
