"""``kurtosis-tui run SUITE_DIR ...``: discover, run, report, exit 0/1/2.

The TUI when stdout is a terminal (and not ``--no-tui``), plain output
otherwise. Everything that can be wrong before a test starts (arguments, the
suite, the engine, the controller image) is a UsageError: one line, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kurtosis_tui.engine.discovery import Selection, discover, suite_target
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.errors import BackendError, UsageError
from kurtosis_tui.events import TestInfo, TestResult, run_exit_code


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``["KEY=VALUE", ...]`` as a dict; UsageError naming a malformed pair."""
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {pair!r} is not KEY=VALUE")
        params[key.strip()] = value
    return params


def ordered(results: dict[str, TestResult], tests: Sequence[TestInfo]) -> list[TestResult]:
    """Results in the suite's order (tests with no result are left out)."""
    return [results[t.name] for t in tests if t.name in results]


def main(args: argparse.Namespace) -> int:
    params = parse_params(args.params)
    if args.parallelism < 1:
        raise UsageError(f"-j/--parallelism must be 1 or more (got {args.parallelism})")
    suite, file = suite_target(Path(args.suite_dir))
    selection = Selection(tuple(args.tests), file)
    use_tui = sys.stdout.isatty() and not args.no_tui
    run_tui = _tui_entry() if use_tui else None
    watch_plain = _watch_entry() if args.watch and run_tui is None else None
    with ThreadPoolExecutor(1) as pool:
        # Importing the suite (a child process) overlaps the engine's first answer.
        found = pool.submit(discover, suite, selection)
        try:
            backend = _backend()
        except UsageError:
            found.result()  # a suite error is reported before an engine one
            raise
        tests = found.result()
    if not tests:
        raise UsageError(f"no tests in {args.suite_dir}: no subclass of kurtosis_tui.Test "
                         "is defined in its *.py files")
    options = RunOptions(suite_dir=suite, parallelism=args.parallelism, params=params,
                         keep_failed=args.keep_failed, stream_service_logs=run_tui is not None,
                         prepare_image=_prepare_image)
    junit = Path(args.junit_xml) if args.junit_xml else None
    if run_tui is not None:
        return int(run_tui(options=options, tests=tests, watch=args.watch, junit_xml=junit,
                            selected=selection))
    return _run_plain(options, tests, backend, junit, watch_plain, selection)


def _prepare_image(progress: Callable[[str], None] | None) -> str:
    """The controller image of this package, built first when it is missing."""
    from kurtosis_tui.setup.images import ensure_controller_image

    return ensure_controller_image(progress)


def _backend() -> Any:
    """The Docker backend, once the engine has answered (EngineUnavailable -> exit 2)."""
    from kurtosis_tui.backend.docker_backend import DockerBackend

    backend = DockerBackend()
    try:
        backend.ping()
    except BackendError as exc:
        raise UsageError(str(exc)) from exc
    return backend


def _tui_entry() -> Callable[..., int]:
    from kurtosis_tui.tui import run_tui

    return run_tui


def _watch_entry() -> Callable[..., int]:
    from kurtosis_tui.watch import run_watch_plain

    return run_watch_plain


def _run_plain(options: RunOptions, tests: list[TestInfo], backend: Any, junit: Path | None,
               watch_plain: Callable[..., int] | None, selected: Selection) -> int:
    from kurtosis_tui.engine.session import open_session
    from kurtosis_tui.engine.signals import InterruptGuard
    from kurtosis_tui.views.plain import PlainPrinter

    printer = PlainPrinter()
    # The first Ctrl-C/SIGTERM raises KeyboardInterrupt here: close() cancels and tears
    # down, the summary says what finished, the CLI exits 130. A second one quits at once.
    with InterruptGuard() as guard:
        session = open_session(options, printer, backend, watching=watch_plain is not None,
                               progress=_image_progress(printer))
        guard.attach(session.run_id, backend)
        try:
            session.schedule(tests)
            session.wait_idle()
            results = ordered(session.results(), tests)
            printer.print_summary(results)
            if junit is not None:
                from kurtosis_tui.views.junit import write_junit

                write_junit(junit, results, tests, suite_name=options.suite_dir.name)
            if watch_plain is not None:
                return int(watch_plain(options=options, session=session, tests=tests,
                                       printer=printer, selected=selected))
            return run_exit_code(r.outcome for r in results)
        except KeyboardInterrupt:
            session.close()
            printer.print_summary(ordered(session.results(), tests))
            raise
        finally:
            session.close()


def _image_progress(printer: Any) -> Callable[[str], None]:
    """Say that the controller image is being (re)built, without Docker's build steps."""
    from kurtosis_tui.setup.images import CONTROLLER_REPO

    def progress(line: str) -> None:
        if line.startswith(CONTROLLER_REPO):
            printer.write(line)

    return progress
