"""One-line errors with the right exit code: 2 for bad input, 1 for a failed operation."""

import click

BAD_INPUT = 2
FAILED = 1


class CliError(click.ClickException):
    def __init__(self, message: str, exit_code: int = BAD_INPUT):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: object = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)
