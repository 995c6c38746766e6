"""``kurtosis-tui run SUITE_DIR ...``: discover, run, report, exit 0/1/2.

The TUI when stdout is a terminal (and not ``--no-tui``), plain output
otherwise. Everything that can be wrong before a test starts (arguments, the
suite, the engine, the controller image) is a UsageError: one line, exit 2.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kurtosis_tui.engine.discovery import Selection, discover, no_tests_in, suite_target
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.errors import BackendError, UsageError
from kurtosis_tui.events import TestInfo, TestResult, run_exit_code
from kurtosis_tui.history.recorder import Recorder, Tee
from kurtosis_tui.views.plain import numbered, ordered


def parse_params(pairs: Sequence[str], flag: str = "--param") -> dict[str, str]:
    """``["KEY=VALUE", ...]`` as a dict; UsageError naming a malformed pair."""
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            shown = f"{key}=***" if flag == "--secret" and sep else pair
            raise UsageError(f"{flag} {shown!r} is not KEY=VALUE")
        params[key.strip()] = value
    return params


def parse_secrets(pairs: Sequence[str], params: dict[str, str]) -> dict[str, str]:
    """``--secret`` pairs; a key given as both --param and --secret is a UsageError."""
    secrets = parse_params(pairs, "--secret")
    both = sorted(set(secrets) & set(params))
    if both:
        raise UsageError(f"{', '.join(both)}: given both as --param and as --secret")
    return secrets


def main(args: argparse.Namespace) -> int:
    params = parse_params(args.params)
    secrets = parse_secrets(getattr(args, "secrets", []), params)
    if args.parallelism < 1:
        raise UsageError(f"-j/--parallelism must be 1 or more (got {args.parallelism})")
    if args.repeat < 1:
        raise UsageError(f"--repeat must be 1 or more (got {args.repeat})")
    if args.repeat > 1 and args.watch:
        raise UsageError("--repeat and --watch do not go together: a watched run reruns "
                         "on saves, a repeated one a fixed number of times")
    junit = _junit_target(args.junit_xml) if args.junit_xml else None
    suite, file = suite_target(Path(args.suite_dir))
    selection = Selection(tuple(args.tests), file)
    use_tui = sys.stdout.isatty() and not args.no_tui
    run_tui = _tui_entry() if use_tui else None
    watch_plain = _watch_entry() if args.watch and run_tui is None else None
    with ThreadPoolExecutor(1) as pool:
        # Importing the suite (a child process) overlaps the engine's first answer
        # and, in plain output, the session's opening (see _run_plain).
        found = pool.submit(_tests_of, suite, selection)
        try:
            backend = _backend(getattr(args, "backend", "docker"))
        except UsageError:
            found.result()  # a suite error is reported before an engine one
            raise
        recorder = Recorder(suite, repeat=args.repeat)
        # The history keeps every service's log, plain runs included: stream them
        # (benchmarks/bench_history.py measures what that costs).
        options = RunOptions(suite_dir=suite, parallelism=args.parallelism, params=params,
                             secrets=secrets,
                             keep_failed=args.keep_failed,
                             stream_service_logs=run_tui is not None or recorder.enabled,
                             prepare_image=_image_preparer(backend.kind),
                             backend=backend.kind)
        if run_tui is not None:
            return int(run_tui(options=options, tests=found.result(), watch=args.watch,
                               junit_xml=junit, selected=selection, recorder=recorder,
                               repeat=args.repeat))
        return _run_plain(options, found, backend, junit, watch_plain, selection, recorder,
                          args.repeat)


def _tests_of(suite: Path, selection: Selection) -> list[TestInfo]:
    """The selected tests of the suite; UsageError when it defines none."""
    tests = discover(suite, selection)
    if not tests:
        raise UsageError(no_tests_in(suite))
    return tests


def _junit_target(given: str) -> Path:
    from kurtosis_tui.views.junit import junit_target  # its XML module only when asked for

    return junit_target(given)


def _prepare_image(progress: Callable[[str], None] | None) -> str:
    """The controller image of this package, built first when it is missing."""
    from kurtosis_tui.setup.images import ensure_controller_image

    return ensure_controller_image(progress)


def _image_preparer(kind: str) -> Callable[[Callable[[str], None] | None], str]:
    """How the run gets its controller image: built here, and on a swarm, on its nodes."""
    if kind != "swarm":
        return _prepare_image
    from kurtosis_tui.cluster.swarm import swarm_controller_image

    return swarm_controller_image


def _backend(kind: str = "docker") -> Any:
    """The backend, once its engine has answered (EngineUnavailable -> exit 2)."""
    from kurtosis_tui.backend.select import make_backend

    backend = make_backend(kind)
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


def _run_plain(options: RunOptions, found: Future[list[TestInfo]], backend: Any,
               junit: Path | None, watch_plain: Callable[..., int] | None,
               selected: Selection, recorder: Recorder, repeat: int) -> int:
    from kurtosis_tui.engine.interrupts import EXIT_INTERRUPTED
    from kurtosis_tui.engine.opening import open_session
    from kurtosis_tui.engine.signals import EXIT_CODES, WAKE, InterruptGuard
    from kurtosis_tui.views.junit import hangup_report, write_junit
    from kurtosis_tui.views.plain import PlainPrinter

    if found.done():
        found.result()  # a suite error, before any Docker object is made for it
    printer = PlainPrinter()
    code = EXIT_INTERRUPTED
    tests: list[TestInfo] = []
    # The first Ctrl-C/SIGTERM raises KeyboardInterrupt here: close() cancels and tears
    # down, the summary and the JUnit report say what finished (a CI job's timeout sends
    # SIGTERM: its report is what it gets), the CLI exits 130. A second one quits at once.
    # A hang-up (the terminal closed) closes the run from the guard's thread, which
    # writes the JUnit report and closes the history, then exits 129.
    opened: list[Any] = []
    hang_up = hangup_report(
        junit, lambda: opened[0].results() if opened else {},
        lambda: found.result() if found.done() and not found.exception() else None,
        suite_name=options.suite_dir.name,
        close_history=lambda: recorder.close(EXIT_CODES[signal.SIGHUP]))
    with InterruptGuard(hangup=True, on_hangup=hang_up) as guard:
        # One set (network, volume, started controller) is made while the suite is
        # still being imported: the first test starts on it (engine/prepared.py).
        session = open_session(options, Tee(printer, recorder), backend,
                               watching=watch_plain is not None, ahead=1,
                               progress=_image_progress(printer, recorder, found))
        opened.append(session)
        guard.attach(session.run_id, backend)
        guard.attach_closer(session.close)
        attempts: list[tuple[int, TestResult]] = []
        number = 0  # the round under way (--repeat), until its attempts are counted

        def report() -> list[TestResult]:
            """The summary and the JUnit report of what finished; its results."""
            latest = session.results()
            unfinished = [(number, r) for r in ordered(latest, tests)] if number else []
            results = _summarise(printer, latest, attempts + unfinished, tests, repeat)
            if junit is not None:
                write_junit(junit, results, tests, suite_name=options.suite_dir.name)
            return results

        try:
            tests = found.result()
            for round_no in range(1, repeat + 1):
                number = round_no
                with guard.whole():  # "running N tests" and the queue, or neither
                    session.schedule(tests)
                while not session.wait_idle(WAKE):  # never for good: see WAKE
                    pass
                guard.hold_if_hung_up()  # the hang-up's thread reports and exits
                attempts += [(number, r) for r in ordered(session.results(), tests)]
                number = 0
            results = report()
            if watch_plain is not None:
                code = int(watch_plain(options=options, session=session, tests=tests,
                                       printer=printer, selected=selected))
            else:
                code = run_exit_code(r.outcome for r in results)
            return code
        except KeyboardInterrupt:
            session.close()
            if tests:
                try:
                    report()
                except UsageError as exc:  # an unwritable report: said, still exit 130
                    print(f"kurtosis-tui: {exc}", file=sys.stderr)
            raise
        finally:
            session.close()
            recorder.close(code)


def _summarise(printer: Any, latest: dict[str, TestResult],
               attempts: list[tuple[int, TestResult]], tests: list[TestInfo],
               repeat: int) -> list[TestResult]:
    """Print the summary; the results it counted (every attempt's, with ``--repeat``)."""
    if repeat == 1:
        results = ordered(latest, tests)
        printer.print_summary(results)
        return results
    results, numbers = numbered(attempts, tests)
    printer.print_summary(results, numbers)
    return results


def _image_progress(printer: Any, recorder: Recorder,
                    found: Future[list[TestInfo]]) -> Callable[[str], None]:
    """Say that the controller image is being (re)built, without Docker's build steps.

    A build takes a while: before its first word, the suite's import must be over,
    so that a suite error (a typo in ``-t``) is said at once, not after the build
    (raised here, it ends the session's opening before anything is built)."""
    from kurtosis_tui.setup.images import CONTROLLER_REPO

    def progress(line: str) -> None:
        found.result()
        if line.startswith(CONTROLLER_REPO):
            printer.write(line)
            recorder.said(line)

    return progress
