"""The ``kurtosis-tui`` command line: parse, dispatch, turn errors into exit codes.

Each sub-command lives in ``kurtosis_tui.commands.<name>`` with a
``main(args) -> int``; they are imported lazily so that ``list`` and ``--help``
never pay for Textual or the Docker SDK. A ``UsageError`` anywhere becomes one
line on stderr and exit code 2, never a traceback.

A Ctrl-C or SIGTERM at any moment is one line and exit 130, never a traceback:
``main`` first puts the process's interrupt handling in place
(engine/interrupts.py), and imports everything heavy (argparse, the commands,
the Docker SDK, Textual) after it, inside its ``try``. This module's own imports
run before that: keep them light (the grammar is in ``cli_parser``).
"""

import sys

TYPE_CHECKING = False  # no typing nor __future__: imports before the handling is in place
if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_USAGE = 2


def main(argv: "Sequence[str] | None" = None) -> int:
    """The command's exit code.

    Without ``argv`` (the console script, ``python -m kurtosis_tui``) the process
    is the command's: once it is over, a signal during the interpreter's shutdown
    exits at once with this code. With ``argv`` (a caller in a process of its own)
    the previous handlers are put back."""
    try:
        from kurtosis_tui.engine.interrupts import EXIT_INTERRUPTED, INTERRUPTS

        landed = False
    except KeyboardInterrupt:  # a Ctrl-C while the handling loads: load it, then stop
        from kurtosis_tui.engine.interrupts import EXIT_INTERRUPTED, INTERRUPTS

        landed = True
    INTERRUPTS.install()
    code = EXIT_INTERRUPTED
    try:
        if landed:
            raise KeyboardInterrupt
        code = _command(argv)
        if INTERRUPTS.lost():  # the command went on: it was interrupted all the same
            raise KeyboardInterrupt
        INTERRUPTS.exiting(code)  # in the try: a signal just before it is an interrupt
    except KeyboardInterrupt:  # a second signal, from here on, exits at once
        INTERRUPTS.delivered()
        code = EXIT_INTERRUPTED
        INTERRUPTS.say()
        INTERRUPTS.exiting(code)
    except SystemExit as exc:  # --help, --version: argparse's own exit, once printed
        INTERRUPTS.exiting(exc.code if isinstance(exc.code, int) else 0)
        raise
    finally:
        if argv is not None:
            INTERRUPTS.uninstall()
    return code


def _command(argv: "Sequence[str] | None") -> int:
    for stream in (sys.stdout, sys.stderr):  # an unencodable character never kills a view
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    from kurtosis_tui.errors import UsageError

    try:
        import importlib

        from kurtosis_tui.cli_parser import build_parser

        args = build_parser().parse_args(argv)
        module = importlib.import_module(f"kurtosis_tui.commands.{args.command}")
        return int(module.main(args))
    except UsageError as exc:
        print(f"kurtosis-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
