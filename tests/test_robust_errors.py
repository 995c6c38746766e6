"""Bad input and a bad environment: one clear line, exit 2, no traceback.

Each case runs the real command line in a subprocess and checks what a user
sees. Errors that can only show once a test runs (a missing service image, a
bad service id, contract section 1) end that test ERRORED with a message
naming the culprit, and the run exits 1.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.robust import labelled

from kurtosis_tui.backend.docker_backend import DockerBackend

pytest_plugins = ("support.robust",)  # its fixtures

BUSYBOX = "kurtosis-tui/busybox:local"
OK_TEST = """from kurtosis_tui import Test


class Ok(Test):
    def run(self, network):
        pass
"""


def kt(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kurtosis_tui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def suite(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def usage_error(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit 2, each expected text on stderr, no traceback anywhere."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    for text in expected:
        assert text in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout


# ------------------------------------------------------------ no engine


@pytest.fixture
def silent_engine() -> Iterator[str]:
    """A TCP port that accepts connections and never answers (a hung engine)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.parametrize("host", ["tcp://127.0.0.1:9", "unix:///nonexistent.sock", "silent"])
def test_no_engine_is_exit_2_without_waiting_out_a_timeout(
    host: str, tmp_path: Path, silent_engine: str
) -> None:
    host = silent_engine if host == "silent" else host
    root = suite(tmp_path, {"t.py": OK_TEST})
    started = time.monotonic()
    done = kt("run", str(root), "--no-tui", env={"DOCKER_HOST": host})
    took = time.monotonic() - started
    usage_error(done, f"no Docker engine answers at {host}", "kurtosis-tui doctor")
    assert took < 20.0, f"{took:.1f} s"  # a 3 s ping, not the Docker SDK's 60 s timeout


# -------------------------------------------------------- suite and args


def test_missing_suite_dir(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    usage_error(kt("run", str(missing), "--no-tui"), f"suite directory {missing} does not exist")


def test_import_error_names_file_and_line(tmp_path: Path) -> None:
    root = suite(
        tmp_path, {"ok.py": OK_TEST, "sub/broken.py": "import os\n\nimport no_such_mod_kt\n"}
    )
    usage_error(kt("run", str(root), "--no-tui"), "broken.py:3:", "no_such_mod_kt")
    usage_error(kt("list", str(root)), "broken.py:3:", "no_such_mod_kt")


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    root = suite(tmp_path, {"bad.py": "x = 1\n\ndef oops(:\n    pass\n"})
    usage_error(kt("run", str(root), "--no-tui"), "bad.py:3")


def test_duplicate_test_names_both_places(tmp_path: Path) -> None:
    other = "from kurtosis_tui import Test\n\n\n\nclass Ok(Test):\n    pass\n"
    root = suite(tmp_path, {"a.py": OK_TEST, "b.py": other})
    done = kt("run", str(root), "--no-tui")
    usage_error(done, "two tests are named Ok")
    assert "a.py:4" in done.stderr and "b.py:5" in done.stderr


def test_unknown_test_name(tmp_path: Path) -> None:
    root = suite(tmp_path, {"t.py": OK_TEST})
    usage_error(kt("run", str(root), "-t", "Nope", "--no-tui"), "no test 'Nope'", "Ok")


@pytest.mark.parametrize("pair", ["novalue", "=x"])
def test_malformed_param(pair: str, tmp_path: Path) -> None:
    root = suite(tmp_path, {"t.py": OK_TEST})
    usage_error(
        kt("run", str(root), "--param", pair, "--no-tui"), f"--param {pair!r} is not KEY=VALUE"
    )


def test_bad_parallelism(tmp_path: Path) -> None:
    root = suite(tmp_path, {"t.py": OK_TEST})
    usage_error(kt("run", str(root), "-j", "0", "--no-tui"), "-j/--parallelism")


def test_bad_subnet_pool_setting(tmp_path: Path) -> None:
    root = suite(tmp_path, {"t.py": OK_TEST})
    done = kt("run", str(root), "--no-tui", env={"KURTOSIS_TUI_SUBNET_POOL": "nonsense"})
    usage_error(done, "KURTOSIS_TUI_SUBNET_POOL='nonsense' is not a network")


# --------------------------------------------------------- with an engine


@pytest.mark.docker
def test_exhausted_subnet_pool(tmp_path: Path, docker_backend: DockerBackend) -> None:
    # the widest subnet in use: Docker's own bridge, not a test network that may go away
    used = min(docker_backend.used_subnets(), key=lambda n: n.prefixlen)
    assert used.prefixlen <= 24
    pool = ipaddress.IPv4Network(f"{used.network_address}/24")  # wholly inside a used subnet
    root = suite(tmp_path, {"t.py": OK_TEST})
    done = kt("run", str(root), "--no-tui", env={"KURTOSIS_TUI_SUBNET_POOL": str(pool)})
    usage_error(
        done, f"no free subnet left: all 1 /24 subnets of {pool} are taken", "kurtosis-tui clean"
    )


@pytest.mark.docker
def test_missing_controller_base_image(tmp_path: Path) -> None:
    """The controller image cannot be built: the image is named (the real one is untouched)."""
    root = suite(tmp_path, {"t.py": OK_TEST})
    done = kt(
        "run", str(root), "--no-tui", env={"KURTOSIS_TUI_BASE_IMAGE": "kurtosis-tui/nope:local"}
    )
    usage_error(done, "kurtosis-tui/nope:local", "neither present nor pullable")


def _nothing_left(backend: DockerBackend, stdout: str) -> None:
    match = re.search(r"\(run ([0-9a-f]+),", stdout)
    assert match, stdout
    assert not labelled(backend, match.group(1))


def _one_service_test(name: str, service_id: str, image: str = BUSYBOX, twice: bool = False) -> str:
    add = f"        network.add_service({service_id!r}, image={image!r}, command=['sleep', '60'])\n"
    return (
        "from kurtosis_tui import Test\n\n\n"
        f"class {name}(Test):\n"
        "    def setup(self, network):\n" + add * (2 if twice else 1) + "\n"
        "    def run(self, network):\n"
        "        pass\n"
    )


@pytest.mark.docker
@pytest.mark.parametrize(
    ("service_id", "twice", "expected"),
    [
        ("Bad_Id", False, "invalid service id 'Bad_Id'"),
        ("web", True, "duplicate service id 'web'"),
    ],
)
def test_bad_service_id_errors_the_test_and_names_it(
    service_id: str, twice: bool, expected: str, tmp_path: Path, docker_backend: DockerBackend
) -> None:
    root = suite(tmp_path, {"t.py": _one_service_test("BadIds", service_id, twice=twice)})
    done = kt("run", str(root), "--no-tui")
    assert done.returncode == 1, done.stderr
    assert "[BadIds] ERRORED" in done.stdout and expected in done.stdout
    assert done.stdout.rstrip().endswith("1 errored")
    assert "Traceback" not in done.stderr
    _nothing_left(docker_backend, done.stdout)


@pytest.mark.docker
def test_missing_service_image_names_it_and_how_to_build_it(
    tmp_path: Path, docker_backend: DockerBackend
) -> None:
    image = "kurtosis-tui/no-such-image:local"
    root = suite(tmp_path, {"t.py": _one_service_test("NoImage", "web", image=image)})
    done = kt("run", str(root), "--no-tui")
    assert done.returncode == 1, done.stderr
    assert "[NoImage] ERRORED" in done.stdout
    assert f"image {image!r} is not present" in done.stdout
    assert f"docker build -t {image}" in done.stdout
    assert "Traceback" not in done.stderr
    _nothing_left(docker_backend, done.stdout)
