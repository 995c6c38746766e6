"""`kurtosis-tui doctor` and `kurtosis-tui images` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import Images

from kurtosis_tui import protocol
from kurtosis_tui.setup.images import ensure_controller_image

NO_ENGINE = "unix:///nonexistent/kt-test-docker.sock"


def cli(*args: str, docker_host: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if docker_host is not None:
        env["DOCKER_HOST"] = docker_host
    return subprocess.run(
        [sys.executable, "-m", "kurtosis_tui", *args], capture_output=True, text=True,
        env=env, stdin=subprocess.DEVNULL, timeout=120, check=False,
    )


def test_images_without_an_engine_is_one_line_and_exit_2() -> None:
    done = cli("images", "--examples", docker_host=NO_ENGINE)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert "no Docker engine answers at " + NO_ENGINE in done.stderr


def test_doctor_without_an_engine_says_what_to_do() -> None:
    done = cli("doctor", docker_host=NO_ENGINE)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any(line.startswith("missing  socket") and "kurtosis-tui setup" in line
               for line in lines)
    assert any(line.startswith("fail     engine") for line in lines)
    assert lines[-1].startswith("not ready")


@pytest.mark.docker
def test_doctor_on_a_ready_machine(images: Images) -> None:
    done = cli("doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("ok       engine") and "API" in line for line in lines)
    for ref in (images.controller, images.busybox, images.redis):
        assert any(line.startswith("ok ") and ref in line for line in lines), done.stdout
    # which faults this engine supports: here everything but delay (no sch_netem)
    assert "ok       faults      supported: bandwidth, block, loss, partition, pause" in lines
    assert "info     faults      delay: unsupported (the kernel lacks the netem qdisc " \
        "(sch_netem)): it raises FaultUnsupported" in lines
    assert lines[-1] == "ready"


@pytest.mark.docker
def test_images_when_all_are_up_to_date_only_lists_them(images: Images) -> None:
    ensure_controller_image()  # sources may have changed since the session began
    done = cli("images", "--examples")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"ready: {images.controller}", f"ready: {protocol.FAULT_IMAGE}",
        f"ready: {images.busybox}", f"ready: {images.redis}",
    ]
