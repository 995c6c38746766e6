"""The ``kurtosis-tui`` command line's grammar: its sub-commands and their options.

Imported by ``cli.main`` once its interrupt handling is in place (argparse and the
backend's names take a while to import: a Ctrl-C meanwhile is the CLI's to say).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from kurtosis_tui import __version__
from kurtosis_tui.backend.select import KINDS
from kurtosis_tui.errors import UsageError


class _Commands(argparse._SubParsersAction):
    """A command's ``--help`` opens with the line its parent's help lists it with
    (argparse shows ``help=`` only in the parent's list): one text for both."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        said = kwargs.get("help")
        if said and "description" not in kwargs:
            kwargs["description"] = f"{said[0].upper()}{said[1:]}."
        parser: argparse.ArgumentParser = super().add_parser(name, **kwargs)
        return parser


class _Parser(argparse.ArgumentParser):
    """Bad arguments are one line, like every other usage error: what is wrong, and
    where the help is (argparse's usage block buried the message under five lines)."""

    commands: Mapping[str, argparse.ArgumentParser] = {}  # the top parser's, by name

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _Commands)  # its commands' and theirs

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: None = None) -> argparse.Namespace:
        """An argument the command does not know is reported by that command, with its
        help (argparse leaves it to the top parser, which named only itself)."""
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            command = self.commands.get(getattr(parsed, "command", ""), self)
            command.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kurtosis-tui",
        description="Test networked software on real Docker networks.",
    )
    parser.add_argument("--version", action="version", version=f"kurtosis-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    parser.commands = sub.choices

    run = sub.add_parser("run", help="run a suite's tests (the TUI on a terminal)")
    run.add_argument("suite_dir", metavar="SUITE_DIR",
                     help="the suite's directory, or one .py file of it (its tests only)")
    run.add_argument("-t", "--test", dest="tests", action="append", default=[],
                     metavar="NAME", help="run only this test, or those a glob pattern "
                     "matches (repeatable)")
    run.add_argument("-j", "--parallelism", type=int, default=4, metavar="N",
                     help="tests at once (default 4)")
    run.add_argument("--watch", action="store_true",
                     help="after the run, rerun the tests whose files change")
    run.add_argument("--no-tui", action="store_true", help="plain output even on a terminal")
    run.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report")
    run.add_argument("--param", dest="params", action="append", default=[],
                     metavar="KEY=VALUE", help="a parameter for the tests (repeatable)")
    run.add_argument("--secret", dest="secrets", action="append", default=[],
                     metavar="KEY=VALUE",
                     help="a parameter whose value is shown and stored as *** (repeatable)")
    run.add_argument("--keep-failed", action="store_true",
                     help="leave a failed test's network, services and volume up")
    run.add_argument("--backend", choices=KINDS, default=KINDS[0],
                     help="docker: the engine DOCKER_HOST names (default); swarm: spread "
                          "the tests over the swarm whose manager DOCKER_HOST names")

    run.add_argument("--repeat", type=int, default=1, metavar="N",
                     help="run each selected test N times (finds flaky tests)")

    history = sub.add_parser("history", help="past runs, newest first (or the flaky tests)")
    history.add_argument("suite_dir", metavar="SUITE_DIR", nargs="?",
                         help="only this suite's runs")
    history.add_argument("-n", type=int, metavar="N", help="at most N runs (default 20)")
    history.add_argument("--flaky", action="store_true",
                         help="tests whose outcomes differed at unchanged suite files")
    history.add_argument("--json", action="store_true", help="one JSON document")
    history.add_argument("--clear", action="store_true",
                         help="empty the history (every suite's runs)")

    show = sub.add_parser("show", help="a past run, after its containers are gone")
    show.add_argument("run", metavar="RUN", help="a run id (from `history`), or `last`")
    show.add_argument("-t", "--test", metavar="NAME", help="this test only")
    show.add_argument("--no-tui", action="store_true", help="plain output even on a terminal")

    lst = sub.add_parser("list", help="list a suite's tests")
    lst.add_argument("suite_dir", metavar="SUITE_DIR")
    lst.add_argument("--json", action="store_true", help="one JSON document")

    setup = sub.add_parser("setup", help="a Docker engine that answers and the images runs "
                           "need (what `make setup` does)")
    setup.add_argument("--dev", action="store_true",
                       help="also the tools the project's own tests need (make setup)")
    sub.add_parser("clean", help="remove every Docker object that earlier runs left")
    sub.add_parser("doctor", help="check the Docker engine, the socket and the images")
    images = sub.add_parser("images", help="build the controller and example images")
    images.add_argument("--examples", action="store_true", help="the example services' too")
    from kurtosis_tui.commands.cluster import add_parser as add_cluster

    add_cluster(sub)
    return parser
