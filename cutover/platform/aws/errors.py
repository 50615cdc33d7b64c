"""Map AWS errors to the platform's: bad configuration is permanent, anything else may pass on a retry."""

from botocore.exceptions import ClientError

from cutover.platform.errors import PermanentError, PlatformError, TransientError

PERMANENT_CODES = {
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


def is_permanent(code: str) -> bool:
    """Denied, invalid or missing: the same request fails the same way until a human changes something."""
    return (
        code in PERMANENT_CODES
        or code.startswith("NoSuch")
        or code.endswith(("NotFound", "NotFoundException"))
    )


def translate(error: ClientError, action: str, resource: str) -> PlatformError:
    """An error that names the action and resource; permanent when retrying cannot help."""
    code = error.response.get("Error", {}).get("Code", "Unknown")
    message = error.response.get("Error", {}).get("Message", str(error))
    text = f"{action} on {resource} failed: {code}: {message}"
    kind = f"aws.{code}"
    return PermanentError(text, kind) if is_permanent(code) else TransientError(text, kind)
