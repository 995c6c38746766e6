"""``--junit-xml FILE``: a JUnit report CI systems understand.

One ``<testcase>`` per test (classname: its file as a dotted path). FAILED is a
``<failure>``, ERRORED and TIMED_OUT an ``<error>`` (with ``type`` saying
which), CANCELLED ``<skipped>``; each carries the message, with the controller
log as the element's text so a CI page shows why without digging.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from kurtosis_tui.errors import UsageError
from kurtosis_tui.events import Outcome, TestInfo, TestResult
from kurtosis_tui.views.plain import ordered


def _classname(info: TestInfo | None) -> str:
    if info is None:
        return "suite"
    path = info.file[:-3] if info.file.endswith(".py") else info.file
    return path.replace("/", ".")


#: What XML 1.0 cannot carry: control characters, surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """``text`` as valid XML 1.0: a character it cannot carry is written as ``\\uXXXX``."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render(results: Sequence[TestResult], tests: Sequence[TestInfo] = (),
           suite_name: str = "kurtosis-tui") -> str:
    """The report as text; ``tests`` (discovery's) adds each test's file and line."""
    infos = {t.name: t for t in tests}
    count = {o: sum(1 for r in results if r.outcome is o) for o in Outcome}
    suite = ET.Element(
        "testsuite",
        name=_clean(suite_name),
        tests=str(len(results)),
        failures=str(count[Outcome.FAILED]),
        errors=str(count[Outcome.ERRORED] + count[Outcome.TIMED_OUT]),
        skipped=str(count[Outcome.CANCELLED]),
        time=f"{sum(r.duration for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite, "testcase", name=_clean(result.name),
            classname=_clean(_classname(infos.get(result.name))), time=f"{result.duration:.3f}",
        )
        info = infos.get(result.name)
        if info is not None:
            case.set("file", _clean(info.file))
            case.set("line", str(info.line))
        if result.node:
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="node", value=result.node)
        message = _clean(result.message.splitlines()[0] if result.message else "")
        if result.outcome is Outcome.FAILED:
            element = ET.SubElement(case, "failure", message=message, type="FAILED")
        elif result.outcome in (Outcome.ERRORED, Outcome.TIMED_OUT):
            element = ET.SubElement(case, "error", message=message, type=result.outcome.value)
        elif result.outcome is Outcome.CANCELLED:
            ET.SubElement(case, "skipped", message=message or "cancelled")
            continue
        else:
            continue
        element.text = _clean(f"{result.message}\n\n--- controller log ---\n"
                              f"{result.controller_log}")
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def junit_target(given: str) -> Path:
    """``--junit-xml``'s path, checked before anything runs: a report that cannot be
    written is a usage error (exit 2) now, not after a whole suite ran for nothing.
    Nothing is created: an old report stays until the new one replaces it."""
    path = Path(given)
    where = path.parent
    if path.is_dir():
        problem = "is a directory"
    elif not where.is_dir():
        problem = f"cannot be written: {where} is not a directory"
    elif not os.access(path if path.exists() else where, os.W_OK):
        problem = "cannot be written: permission denied"
    else:
        return path
    raise UsageError(f"--junit-xml {given}: {problem}")


def write_junit(path: Path, results: Sequence[TestResult], tests: Sequence[TestInfo] = (),
                suite_name: str = "kurtosis-tui") -> None:
    """Write the report to ``path``; UsageError (exit 2) when it cannot be written."""
    try:
        path.write_text(render(results, tests, suite_name), encoding="utf-8",
                        errors="backslashreplace")
    except OSError as exc:
        raise UsageError(f"cannot write the JUnit report {path}: {exc.strerror}") from exc


def hangup_report(path: Path | None, results: Callable[[], Mapping[str, TestResult]],
                  tests: Callable[[], Sequence[TestInfo] | None], *, suite_name: str,
                  close_history: Callable[[], None]) -> Callable[[bool], None]:
    """What a closed terminal still owes the user, as the interrupt guard's ``on_hangup``
    (``engine.signals``): the report at ``path`` of what the session finished (at once,
    and again once it is closed, with what the close cancelled), then, once closed, the
    history's close. ``tests()`` is None while the suite is not known yet (no report)."""

    def report(closed: bool) -> None:
        try:
            known = tests()
            if path is not None and known is not None:
                write_junit(path, ordered(results(), known), known, suite_name=suite_name)
        finally:  # an unwritable report costs the report only
            if closed:
                close_history()

    return report
