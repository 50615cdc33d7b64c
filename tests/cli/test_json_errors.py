"""With --json an error is one JSON object on stderr, with the exit code the text form has; without
it, the one `error:` line as before. No server: these fail before or while connecting."""

import json

from click.testing import CliRunner

from cutover.cli.main import cli

NO_SERVER = ["--address", "127.0.0.1:1"]


def test_a_bad_option_is_named_in_the_json_error() -> None:
    result = CliRunner().invoke(cli, ["list", "--json", "--limit", "0", *NO_SERVER])
    assert result.exit_code == 2 and result.stdout == ""
    error = json.loads(result.stderr)
    assert (
        error["field"] == "--limit"
        and error["exit_code"] == 2
        and "0 is not in the range x>=1" in error["error"]
    )
    plain = CliRunner().invoke(cli, ["list", "--limit", "0", *NO_SERVER])
    assert plain.exit_code == 2 and "Usage: " in plain.stderr and "{" not in plain.stderr


def test_an_unreachable_server_is_a_json_error_with_exit_1() -> None:
    for args in (["list"], ["schedule", "list"], ["status", "some-migration"]):
        result = CliRunner().invoke(cli, [*args, "--json", *NO_SERVER])
        assert result.exit_code == 1, args
        error = json.loads(result.stderr)
        assert error["exit_code"] == 1 and "cannot reach Temporal at 127.0.0.1:1" in error["error"], args
        assert result.stdout == ""


def test_start_of_a_missing_plan_is_a_json_error() -> None:
    result = CliRunner().invoke(cli, ["start", "no-such-plan.yaml", "--json", *NO_SERVER])
    assert result.exit_code == 2
    error = json.loads(result.stderr)
    assert "file not found" in error["error"] and error["exit_code"] == 2
    text = CliRunner().invoke(cli, ["start", "no-such-plan.yaml", *NO_SERVER])
    assert text.exit_code == 2 and text.stderr.startswith("error: ") and "file not found" in text.stderr
