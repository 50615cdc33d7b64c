"""One-line errors with the right exit code: 2 bad input, 1 failed operation, 3 refused by the migration."""

import click


class CliError(click.ClickException):
    """Bad input: a plan, a gate, a migration id that cannot be used."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class MigrationNotFound(CliError):
    """Temporal has no migration of that id (never started, or gone with its retention period)."""


class OperationFailed(CliError):
    """The input was fine but the operation could not be done (e.g. Temporal unreachable)."""

    exit_code = 1


class RefusedByMigration(CliError):
    """The migration received the signal and refused it (recorded as refused in its timeline)."""

    exit_code = 3
