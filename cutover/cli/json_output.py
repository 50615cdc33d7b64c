"""--json: results as one JSON document on stdout, errors as one JSON object on stderr (errors.py),
including the ones click finds while parsing (a bad --phase), which it would print as usage text."""

import json
from typing import Any

import click

from cutover.cli.errors import CliError

json_option = click.option("--json", "as_json", is_flag=True, help="Print the result, or the error, as JSON")


class JsonUsageError(CliError):
    """click's usage error, as --json asked; the exit code is still 2."""

    def __init__(self, error: click.UsageError) -> None:
        super().__init__(error.format_message(), field=_option(error))
        self.as_json = True  # parsing failed, so the context has no params to read it from


def _option(error: click.UsageError) -> str | None:
    param = getattr(error, "param", None)
    if isinstance(param, click.Option) and param.opts:
        return max(param.opts, key=len)
    return param.name if isinstance(param, click.Parameter) else None


class JsonCommand(click.Command):
    """A command whose --json covers the errors of its own command line too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        asked = "--json" in args
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            if asked:
                raise JsonUsageError(error) from None
            raise


def echo_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, default=str))
