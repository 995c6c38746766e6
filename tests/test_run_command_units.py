"""The run command's own rules, without an engine."""

from __future__ import annotations

import io
from concurrent.futures import Future
from pathlib import Path

import pytest

from kurtosis_tui.commands.run import _image_progress
from kurtosis_tui.errors import UsageError
from kurtosis_tui.events import TestInfo
from kurtosis_tui.history.recorder import Recorder
from kurtosis_tui.views.plain import PlainPrinter


def _progress(tmp_path: Path, found: Future[list[TestInfo]]) -> tuple[io.StringIO, object]:
    out = io.StringIO()
    recorder = Recorder(tmp_path, path=tmp_path / "history.db", keep=0)
    return out, _image_progress(PlainPrinter(out), recorder, found)


def test_a_suite_error_is_said_before_a_controller_build_begins(tmp_path: Path) -> None:
    found: Future[list[TestInfo]] = Future()
    found.set_exception(UsageError("no test 'nope' in suite"))
    out, progress = _progress(tmp_path, found)
    with pytest.raises(UsageError, match="no test 'nope'"):
        progress("kurtosis-tui/controller: missing; building")  # type: ignore[operator]
    assert out.getvalue() == ""


def test_a_good_suite_lets_the_build_say_what_it_does(tmp_path: Path) -> None:
    found: Future[list[TestInfo]] = Future()
    found.set_result([TestInfo("T", "t.py", 1)])
    out, progress = _progress(tmp_path, found)
    progress("kurtosis-tui/controller: missing; building")  # type: ignore[operator]
    progress("Step 1/5 : FROM base")  # type: ignore[operator]  # Docker's steps are not shown
    assert out.getvalue() == "kurtosis-tui/controller: missing; building\n"
