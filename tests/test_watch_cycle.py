"""One real watch cycle, as a user lives it: `run SUITE --watch --no-tui` in a subprocess,
then saves, a new file, a syntax error and its fix, and Ctrl-C; real Docker throughout."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Images, assert_no_leftovers

from kurtosis_tui.backend.docker_backend import DockerBackend

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 90.0  # s for any one step (a rerun takes ~2 s; a cold controller image more)


def source_of(name: str, image: str, marker: str = "", run_seconds: int = 0) -> str:
    """A fast test with one busybox service, checked by an exec (then a sleep, if asked)."""
    return (
        "from kurtosis_tui import Network, Test\n\n\n"
        f"class {name}(Test):\n"
        f"    '''{marker}'''\n"
        "    setup_timeout = 30\n"
        "    run_timeout = 30\n\n"
        "    def setup(self, network: Network) -> None:\n"
        f"        network.add_service('box', image={image!r}, command=['sleep', '600'])\n\n"
        "    def run(self, network: Network) -> None:\n"
        "        assert network.service('box').exec(['true']).exit_code == 0\n"
        f"        __import__('time').sleep({run_seconds})\n"
    )


class Output:
    """The subprocess's stdout, read by a thread; waits poll it against a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, start: int = 0, deadline: float = DEADLINE) -> int:
        """Index of the first line from ``start`` on that matches; fails at the deadline."""
        regex, end = re.compile(pattern), time.monotonic() + deadline
        with self._cond:
            while True:
                for i in range(start, len(self.lines)):
                    if regex.search(self.lines[i]):
                        return i
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._thread.is_alive()):
                    pytest.fail(f"no line matching {pattern!r}; output:\n" + self.text())
                self._cond.wait(left)

    def text(self, start: int = 0) -> str:
        return "\n".join(self.lines[start:])


@pytest.fixture()
def watching(images: Images, tmp_path: Path) -> Iterator[tuple[Path, Output]]:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_alpha.py").write_text(source_of("Alpha", images.busybox))
    (suite / "test_beta.py").write_text(source_of("Beta", images.busybox))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kurtosis_tui", "run", str(suite), "--watch", "--no-tui"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield suite, Output(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


@pytest.mark.docker
def test_a_watch_cycle(watching: tuple[Path, Output], images: Images) -> None:
    suite, out = watching
    first = out.wait_for(r"^2 passed$")
    run_id = re.search(r"\(run (\w+),", out.text()).group(1)  # type: ignore[union-attr]
    mark = out.wait_for(r"^watching .* for changes \(Ctrl-C to stop\)$", first)

    # a save reruns only the tests defined in that file
    (suite / "test_alpha.py").write_text(source_of("Alpha", images.busybox, "edited"))
    at = out.wait_for(r"^changed: test_alpha\.py; rerunning Alpha$", mark)
    done = out.wait_for(r"^1 passed$", at)
    assert out.wait_for(r"^Alpha: PASSED \(\d+\.\d s\)$", at) < done
    assert "[Beta] started" not in out.text(at)
    mark = out.wait_for(r"^watching ", done)

    # a save while the test runs cancels that attempt (torn down) and runs it again
    (suite / "test_alpha.py").write_text(source_of("Alpha", images.busybox, "slow", 120))
    at = out.wait_for(r"^\[Alpha\] started \(attempt 3\)$", mark)
    (suite / "test_alpha.py").write_text(source_of("Alpha", images.busybox, "fast again"))
    cancelled = out.wait_for(r"^\[Alpha\] CANCELLED", at)
    out.wait_for(r"^\[Alpha\] started \(attempt 4\)$", cancelled)
    done = out.wait_for(r"^1 passed$", at)
    assert out.wait_for(r"^Alpha: PASSED", at) < done
    mark = out.wait_for(r"^watching ", done)

    # a new file's tests are discovered and run
    (suite / "test_gamma.py").write_text(source_of("Gamma", images.busybox))
    at = out.wait_for(r"^changed: test_gamma\.py; rerunning Gamma$", mark)
    done = out.wait_for(r"^1 passed$", at)
    assert out.wait_for(r"^Gamma: PASSED", at) < done
    mark = out.wait_for(r"^watching ", done)

    # a syntax error is reported with its file and line; its tests are ERRORED; watching goes on
    beta = suite / "test_beta.py"
    good = beta.read_text()
    beta.write_text(good + "\ndef broken(:\n")
    lineno = len(good.splitlines()) + 2
    at = out.wait_for(rf"^suite problem: test_beta\.py:{lineno}: ", mark)
    done = out.wait_for(r"^1 errored$", at)
    assert out.wait_for(r"^Beta: ERRORED", at) < done
    mark = out.wait_for(r"^watching ", done)

    # fixing it reruns them
    beta.write_text(good)
    at = out.wait_for(r"^changed: test_beta\.py; rerunning Beta$", mark)
    out.wait_for(r"^\[Beta\] started \(attempt 2\)$", at)
    done = out.wait_for(r"^1 passed$", at)
    assert out.wait_for(r"^Beta: PASSED", at) < done
    out.wait_for(r"^watching ", done)

    # Ctrl-C: watching stops, the session is torn down, nothing of the run is left
    out.proc.send_signal(signal.SIGINT)
    assert out.proc.wait(30) == 130, out.text()
    end = out.wait_for(r"^watch stopped$")
    assert out.wait_for(r"^3 passed$", end) > end
    assert "Traceback" not in out.text()
    assert_no_leftovers(DockerBackend(), run_id)
