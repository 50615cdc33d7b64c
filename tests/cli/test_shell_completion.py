"""Shell completion is click's own: `_CUTOVER_COMPLETE=<shell>_source cutover` prints the script the
README tells users to load, and the script's callback completes commands and option values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

CUTOVER = Path(sys.executable).parent / "cutover"  # the console script, as users run it


def run(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CUTOVER)], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _cutover_completion cutover"),
        ("zsh", "compdef _cutover_completion cutover"),
        ("fish", "complete --no-files --command cutover"),
    ],
)
def test_the_completion_script_is_produced(shell: str, marker: str) -> None:
    result = run(_CUTOVER_COMPLETE=f"{shell}_source")
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout


def test_completion_names_commands_and_option_values() -> None:
    commands = run(_CUTOVER_COMPLETE="bash_complete", COMP_WORDS="cutover sch", COMP_CWORD="1")
    assert commands.stdout.split() == ["plain,schedule"]
    verbs = run(_CUTOVER_COMPLETE="bash_complete", COMP_WORDS="cutover schedule u", COMP_CWORD="2")
    assert verbs.stdout.split() == ["plain,unpause"]
    outcomes = run(_CUTOVER_COMPLETE="bash_complete", COMP_WORDS="cutover list --outcome r", COMP_CWORD="3")
    assert outcomes.stdout.split() == ["plain,running", "plain,rolled-back"]
