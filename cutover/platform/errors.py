"""The adapters' own errors: what went wrong, and whether trying again can help.

Adapters know nothing of Temporal. They say whether a failure is permanent (bad configuration, a
missing object, a denied request, an invalid value: a human must act) or transient (throttling,
timeouts, 5xx, a dropped connection: the next attempt may succeed); the activities turn that into
Temporal's retry semantics in one place (cutover.activities.platform_errors), and the CLI reports
either kind as a failed operation.
"""


class PlatformError(Exception):
    """A platform call failed; `kind` is a short machine name for the failure, e.g. "aws.AccessDenied"
    or "k8s.404" (the activity's error type). None where the failure has never had a name."""

    def __init__(self, message: str, kind: str | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind


class PermanentError(PlatformError):
    """Retrying cannot help: the configuration, the plan or the permissions must change first."""


class TransientError(PlatformError):
    """Retrying may help: the platform was busy, slow or unreachable, or had not caught up yet."""
