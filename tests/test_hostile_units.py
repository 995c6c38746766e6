"""Hostile input without Docker: planted links, surrogates, secrets, endless lines."""

from __future__ import annotations

import base64
import io
import os
import time
from pathlib import Path

import pytest

from kurtosis_tui import events
from kurtosis_tui.api.files import write_files
from kurtosis_tui.controller.log import ControllerLog, PrintCapture
from kurtosis_tui.errors import ServiceError
from kurtosis_tui.events import Outcome, TestResult
from kurtosis_tui.redact import B64_MIN, LINE_LIMIT, Redactor, base64_forms


def test_files_are_not_written_through_a_planted_symlink(tmp_path: Path) -> None:
    volume, outside = tmp_path / "volume", tmp_path / "outside"
    (volume / "services").mkdir(parents=True)
    outside.mkdir()
    (volume / "services" / "victim").symlink_to(outside)  # what a root service can do
    with pytest.raises(ServiceError, match=r"service 'victim': cannot write .*symlink"):
        write_files("victim", volume / "services" / "victim", {"a.txt": "x"})
    assert list(outside.iterdir()) == []


def test_a_planted_file_link_or_fifo_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "volume" / "services" / "web"
    directory.mkdir(parents=True)
    target = tmp_path / "precious"
    target.write_text("keep me")
    (directory / "conf").symlink_to(target)
    with pytest.raises(ServiceError, match="symlink"):
        write_files("web", directory, {"conf": "overwritten"})
    assert target.read_text() == "keep me"
    os.mkfifo(directory / "pipe")
    with pytest.raises(ServiceError, match="web"):  # refused, never a hang on the FIFO
        write_files("web", directory, {"pipe": "x"})


def test_files_still_land_where_they_should(tmp_path: Path) -> None:
    directory = tmp_path / "volume" / "services" / "web"
    written = write_files("web", directory, {"a/b/c.txt": "deep", "top": b"\x00\x01"})
    assert (directory / "a" / "b" / "c.txt").read_text() == "deep"
    assert (directory / "top").read_bytes() == b"\x00\x01"
    assert written == [directory / "a/b/c.txt", directory / "top"]
    assert (directory / "top").stat().st_mode & 0o777 == 0o666


def test_a_surrogate_does_not_silence_the_log(tmp_path: Path) -> None:
    out, path = io.StringIO(), tmp_path / "controller.log"
    log = ControllerLog(out, path)
    log.line(os.fsdecode(b"caf\xe9"))
    log.line("after it")
    log.close()
    text = path.read_text()
    assert "caf\\udce9" in text and "after it" in text
    assert "caf\\udce9" in out.getvalue() and "after it" in out.getvalue()


def test_the_log_file_is_never_opened_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    (tmp_path / "controller.log").symlink_to(target)
    log = ControllerLog(io.StringIO(), tmp_path / "controller.log")
    assert "cannot write" in log.problem
    log.line("hello")
    assert not target.exists()


def test_secrets_are_masked_in_lines_and_events(tmp_path: Path) -> None:
    out, path = io.StringIO(), tmp_path / "controller.log"
    log = ControllerLog(out, path, Redactor(["hunter2", "hunter2-long"]))
    log.line("pw=hunter2-long and hunter2")
    log.event(events.OutcomeReported(test="T", outcome="FAILED", message="saw hunter2"))
    log.close()
    for text in (out.getvalue(), path.read_text()):
        assert "hunter2" not in text
    assert "pw=*** and ***" in path.read_text()
    assert '"message":"saw ***"' in out.getvalue()


def test_the_redactor_masks_results_but_not_outcomes() -> None:
    redactor = Redactor(["PASSED", "tok"])  # a silly secret must not break the enum
    result = redactor.value(TestResult("T", Outcome.PASSED, 1.0, "tok!", "log tok\n"))
    assert result == TestResult("T", Outcome.PASSED, 1.0, "***!", "log ***\n")
    assert Redactor([]).value(result) is result


B64_SECRET = "s3cr3t?VALUE>77"  # its base64 holds "+" or "/" at some alignment


@pytest.mark.parametrize("before", ["", "u", "us", "user:", "Basic dXNlcjp"])
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_a_secret_printed_base64_encoded_is_masked_at_every_alignment(
    before: str, encode: object
) -> None:
    assert callable(encode)
    encoded = encode(f"{before}{B64_SECRET} and more".encode()).decode()
    masked = Redactor([B64_SECRET]).text(f"Authorization: Basic {encoded}")
    assert "***" in masked
    # what is left of the encoding around the mask: the text's own, and at most the 2
    # characters each side that hold bits of the secret and of its neighbours
    left, right = masked.removeprefix("Authorization: Basic ").split("***")
    assert len(left) <= len(encode(before.encode()).decode().rstrip("=")) + 2
    assert len(right.rstrip("=")) <= len(encode(b" and more").decode().rstrip("=")) + 2


def test_base64_forms_cover_both_alphabets_and_skip_chance_sized_ones() -> None:
    forms = base64_forms(B64_SECRET)
    assert any("+" in f or "/" in f for f in forms)
    assert {f.replace("+", "-").replace("/", "_") for f in forms} <= forms
    assert all(len(f) >= B64_MIN for f in forms)
    assert base64_forms("abc") == set()  # "YWJj" would mask too much by chance
    assert Redactor(["abc"]).text("YWJj") == "YWJj"
    # a secret that holds another is still masked whole, and its forms come from it alone
    assert Redactor(["hunter2", "hunter2-long"]).text("pw=hunter2-long") == "pw=***"


def test_a_log_batch_is_masked_line_by_line_only_when_needed() -> None:
    redactor = Redactor(["hunter2"])
    clean = ("line one", "line two")
    assert redactor.value(clean) is clean  # one search of the batch: nothing to change
    encoded = base64.b64encode(b"pw=hunter2!").decode()
    assert redactor.value(("a", f"x {encoded}", "hunter2")) == ("a", "x cHc9***iE=", "***")
    assert redactor.value(("\udce9", "ok")) == ("\\udce9", "ok")  # encodable, line by line
    lines = ("ends with hunt", "er2 begins")  # split over lines: never masked, never joined
    assert Redactor(["hunt\ner2"]).value(lines) == lines


def test_the_forwarded_lines_are_masked_plain_only_in_the_controller() -> None:
    """A service's forwarded lines are masked again, in full, by the initializer; the
    controller looks for the plain secret only there (a flood's hot path)."""
    redactor = Redactor(["hunter2"])
    encoded = base64.b64encode(b"hunter2 ok").decode()
    assert redactor.text(f"hunter2 {encoded}", encoded=False) == f"*** {encoded}"
    assert "***" in redactor.text(encoded)


def test_a_line_written_in_many_pieces_is_linear_and_capped(tmp_path: Path) -> None:
    out = io.StringIO()
    capture = PrintCapture(ControllerLog(out, None))
    started = time.perf_counter()
    piece = "." * 1024
    for _ in range(8 * 1024):  # 8 MiB in 1 KiB writes, no newline
        capture.write(piece)
    capture.write("\nnext\n")
    took = time.perf_counter() - started
    assert took < 3.0, f"{took:.2f} s"
    first, second = out.getvalue().splitlines()
    assert "." * LINE_LIMIT in first and first.endswith("more characters cut]")
    assert second.endswith("| next")
