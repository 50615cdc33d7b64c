"""One-line errors with the right exit code: 2 bad input, 1 failed operation, 3 refused by the migration.

A command given --json gets its error as one JSON object on stderr instead (stdout stays the
command's result): {"error": ..., "exit_code": ..., "field": the option at fault, if one is}.
"""

import json

import click


def json_asked() -> bool:
    """Whether the command running now was given --json (its parameter is called as_json)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.params.get("as_json"))


class CliError(click.ClickException):
    """Bad input: a plan, a gate, a migration id that cannot be used."""

    exit_code = 2

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.as_json = json_asked()  # raised inside the command; shown by click once it has left

    def show(self, file: object = None) -> None:
        if self.as_json:
            fields = {"error": self.format_message(), "exit_code": self.exit_code, "field": self.field}
            click.echo(json.dumps({k: v for k, v in fields.items() if v is not None}), err=True)
        else:
            click.echo(f"error: {self.format_message()}", err=True)


class MigrationNotFound(CliError):
    """Temporal has no migration of that id (never started, or gone with its retention period)."""


class NamespaceNotFound(CliError):
    """The namespace named (--namespace, TEMPORAL_NAMESPACE, the profile) does not exist on the server."""


class OperationFailed(CliError):
    """The input was fine but the operation could not be done (e.g. Temporal unreachable)."""

    exit_code = 1


class RefusedByMigration(CliError):
    """The migration received the signal and refused it (recorded as refused in its timeline)."""

    exit_code = 3


class StillRunning(CliError):
    """`status --watch --timeout`: the time ran out before the migration finished."""

    exit_code = 4
