"""``history`` and ``show`` as scripts call them (no Docker): shapes, bad input, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.history import record, story

from kurtosis_tui.cli import main
from kurtosis_tui.events import Outcome
from kurtosis_tui.views.plain import banner


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KURTOSIS_TUI_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_history_lists_runs_newest_first_in_the_contracts_shape(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record(home, story("aaa111", Outcome.FAILED, t0=1_700_000_000.0))
    record(home, story("bbb222", Outcome.PASSED, t0=1_700_000_100.0), exit_code=0)
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RUN", "STARTED", "SUITE", "DURATION", "TESTS"]
    assert lines[1].startswith("bbb222") and lines[1].endswith("2 passed")
    assert lines[2].startswith("aaa111") and lines[2].endswith("1 passed, 1 failed")
    assert " suite " in lines[1]  # shown relative to here
    assert main(["history", "--json", "-n", "1"]) == 0
    (run,) = json.loads(capsys.readouterr().out)
    assert set(run) == {"run", "started", "suite", "duration_s", "state", "counts", "tests"}
    assert run["state"] == "finished"
    assert run["run"] == "bbb222" and run["suite"] == str(home / "suite")
    assert run["counts"] == {"passed": 2, "failed": 0, "errored": 0, "timed_out": 0,
                             "cancelled": 0}
    assert run["tests"][0] == {"name": "Good", "outcome": "PASSED", "duration_s": 1.1,
                               "attempt": 1, "message": ""}
    assert main(["history", "--flaky", "--json", str(home / "suite")]) == 0
    assert [f["name"] for f in json.loads(capsys.readouterr().out)] == ["Bad"]


def test_show_prints_the_run_and_exits_with_its_code(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record(home, story("ccc333", Outcome.TIMED_OUT), exit_code=1)
    assert main(["show", "last", "--no-tui"]) == 1
    out = capsys.readouterr().out
    assert out.endswith("Good: PASSED (1.1 s)\nBad: TIMED_OUT (1.1 s)\n1 passed, 1 timed out\n")
    assert main(["show", "ccc", "-t", "Good"]) == 1  # an id's start will do
    out = capsys.readouterr().out
    assert "Good: PASSED: controller log" in out and "Bad" not in out


def test_show_t_names_the_test_as_run_did(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``show last -t NAME`` put a passed test's log under ``NAME#1``, a name ``run``
    never printed: the banners are ``run``'s, ``#K`` only in a --repeat run."""
    record(home, story("eee555"), exit_code=1)
    assert main(["show", "last", "--no-tui"]) == 1
    whole = capsys.readouterr().out.splitlines()
    assert main(["show", "last", "-t", "Good"]) == 1
    good = capsys.readouterr().out.splitlines()
    assert [line for line in good if line.startswith("====")] == [
        banner("Good: PASSED: controller log"), banner("end of Good")]
    assert good[-2:] == ["Good: PASSED (1.1 s)", "1 passed"]
    assert main(["show", "last", "-t", "Bad"]) == 1
    bad = [line for line in capsys.readouterr().out.splitlines() if line.startswith("====")]
    assert bad == [line for line in whole if line.startswith("====")]  # as run printed them
    assert bad[0] == banner("Bad: FAILED: controller log")

    record(home, [*story("fff666"), *story("fff666", attempt=2, announce=False)], repeat=2)
    assert main(["show", "last", "-t", "Good"]) == 1
    repeated = capsys.readouterr().out.splitlines()
    assert [line for line in repeated if line.startswith("====")] == [
        banner("Good#1: PASSED: controller log"), banner("end of Good#1"),
        banner("Good#2: PASSED: controller log"), banner("end of Good#2")]
    assert repeated[-3:] == ["Good#1: PASSED (1.1 s)", "Good#2: PASSED (1.1 s)",
                             "2 passed, 0 flaky"]


@pytest.mark.parametrize("argv, words", [
    (["show", "nope"], "no run 'nope' in the history"),
    (["show", "last"], "no run recorded yet"),
    (["history", "-n", "0"], "-n must be 1 or more"),
    (["history", "no/such/dir"], "suite directory no/such/dir does not exist"),
    (["history", "/dev/null"], "/dev/null is not a directory (give the suite's directory)"),
    (["run", "somewhere", "--repeat", "0"], "--repeat must be 1 or more"),
    (["run", "somewhere", "--repeat", "2", "--watch"], "do not go together"),
])
def test_bad_input_is_one_line_and_exit_2(home: Path, capsys: pytest.CaptureFixture[str],
                                          argv: list[str], words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.splitlines()) == 1


def test_show_names_the_tests_of_the_run_for_an_unknown_one(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record(home, story("ddd444"))
    assert main(["show", "last", "-t", "Nope"]) == 2
    assert "has no test 'Nope' (its tests: Good, Bad)" in capsys.readouterr().err


def test_clear_empties_the_store_and_replaces_a_corrupt_one(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record(home, story("eee555"))
    assert main(["history", "--clear"]) == 0
    assert main(["history", "--json"]) == 0
    assert capsys.readouterr().out.endswith("[]\n")
    (home / "history.db").write_bytes(b"garbage" * 1000)
    assert main(["history"]) == 2
    assert "corrupt" in capsys.readouterr().err
    assert main(["history", "--clear"]) == 0
    assert main(["history"]) == 0
    assert "no runs recorded yet" in capsys.readouterr().out


def test_clear_with_a_suite_or_a_filter_clears_nothing(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``history SUITE --clear`` emptied the whole store: every other suite's runs went
    with the one the user named. --clear empties the store, so it takes no filter."""
    record(home, story("fff666"))
    (home / "other").mkdir()
    for argv in (["history", "other", "--clear"], ["history", "--clear", "--flaky"],
                 ["history", "--clear", "-n", "3"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "--clear empties the whole history" in err and len(err.splitlines()) == 1
    assert main(["history", "--json"]) == 0
    assert [r["run"] for r in json.loads(capsys.readouterr().out)] == ["fff666"]
