"""``--help`` as a new user reads it: each command's help says what the command is for."""

from __future__ import annotations

import re

import pytest

from kurtosis_tui.cli import main


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def _listed(text: str, metavar: str) -> dict[str, str]:
    """The commands a help lists under ``metavar``, each with its one-line text."""
    block = text.split(f"\n  {metavar}\n", 1)[1].split("\n\n", 1)[0]
    found: dict[str, str] = {}
    for name, said in re.findall(r"^    (\S+) +(.+(?:\n {10,}.+)*)", block, re.MULTILINE):
        found[name] = " ".join(said.split())
    return found


def _description(text: str) -> str:
    """The paragraph between a help's usage and its arguments."""
    return " ".join(text.split("\n\n")[1].split())


def test_every_commands_help_opens_with_what_the_top_help_says_of_it(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """``kurtosis-tui run --help`` (history, show, cluster...) went from its usage line
    straight to its arguments: the line ``kurtosis-tui --help`` shows for it was missing."""
    monkeypatch.setenv("COLUMNS", "80")
    commands = _listed(_help(capsys), "COMMAND")
    assert {"run", "history", "show", "list", "cluster"} <= set(commands)
    for name, said in commands.items():
        assert _description(_help(capsys, name)) == f"{said[0].upper()}{said[1:]}.", name
    actions = _listed(_help(capsys, "cluster"), "ACTION")
    assert set(actions) == {"up", "status", "load", "down"}
    for name, said in actions.items():
        assert _description(_help(capsys, "cluster", name)) == f"{said[0].upper()}{said[1:]}."
    assert _description(_help(capsys, "run")) == "Run a suite's tests (the TUI on a terminal)."
