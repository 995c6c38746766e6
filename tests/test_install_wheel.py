"""Installed with pip, it works anywhere (contract section 9), with real Docker.

``python -m build`` makes a wheel and an sdist; the wheel goes into a fresh
virtual environment outside the checkout; from another folder, ``kurtosis-tui
setup`` and ``kurtosis-tui run <checkout>/examples/quickstart --no-tui`` exit 0.
They run first against a node (an engine of the test's own,
kurtosis_tui/cluster/node.py) that holds only the offline base image at first,
so every other image, the controller's included, is built there from the files
of the installed package and nothing the checkout built can stand in for it;
then against this machine's engine, as a user would.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import Images

from kurtosis_tui.cluster import node as nodes
from kurtosis_tui.protocol import FAULT_IMAGE
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.base import LOCAL_BASE
from kurtosis_tui.setup.fault_image import ensure_fault_image
from kurtosis_tui.setup.images import build_lock

# Minutes, not seconds: set-up, builds and runs on an engine of its own (~1-2.5 min alone,
# slower when the machine is busy).
pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(600)]

CHECKOUT = Path(__file__).resolve().parent.parent


def run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 300
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, check=False)


def user_env(tmp_path: Path, docker_host: str | None = None) -> dict[str, str]:
    """A user's environment: nothing of the checkout on the path, a cache of its own."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    # pip's own cache stays warm (where it was), kurtosis-tui's starts empty
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    if docker_host is not None:
        env["DOCKER_HOST"] = docker_host
    return env


def engine(node: nodes.Node) -> str:
    """The node's state and its engine's last words, for a failure's message."""
    with contextlib.closing(dockerio.client()) as cli:
        state = cli.api.inspect_container(node.container_id)["State"]
        log = bytes(cli.api.logs(node.container_id, tail=15)).decode(errors="replace")
    return f"\nthe node ({node.docker_host}): {state['Status']}; its engine's log:\n{log}"


def test_the_wheel_in_a_fresh_venv_sets_up_and_runs_the_quickstart_from_another_folder(
    tmp_path: Path, images: Images,
) -> None:
    started = time.monotonic()
    dist = tmp_path / "dist"
    built = run([sys.executable, "-m", "build", "--outdir", str(dist), str(CHECKOUT)],
                cwd=tmp_path, env=dict(os.environ))
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheels = sorted(dist.glob("kurtosis_tui-*-py3-none-any.whl"))
    assert len(wheels) == 1 and sorted(dist.glob("kurtosis_tui-*.tar.gz"))

    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=dict(os.environ))
    assert made.returncode == 0, made.stderr
    installed = run([str(venv / "bin" / "pip"), "install", "-q", str(wheels[0])],
                    cwd=tmp_path, env=dict(os.environ))
    assert installed.returncode == 0, installed.stderr[-2000:]
    print(f"wheel built and installed: {time.monotonic() - started:.1f} s")

    with contextlib.closing(dockerio.client()) as host, build_lock():
        ensure_fault_image(host, lambda _: None)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # the node shows the examples at the same path: a run bind-mounts its suite's folder
    node = nodes.start_node(f"wheel{uuid.uuid4().hex[:6]}",
                            shared_paths=[str(CHECKOUT / "examples")])
    try:
        # the offline base and the fault helpers' image (neither is built from the package):
        # no registry needed, and no minute of mmdebstrap
        nodes.load_images(node, [LOCAL_BASE, FAULT_IMAGE])
        env = user_env(tmp_path, node.docker_host)
        tool = str(venv / "bin" / "kurtosis-tui")
        where = run([str(venv / "bin" / "python"), "-c",
                     "import kurtosis_tui; print(kurtosis_tui.__file__)"], cwd=elsewhere, env=env)
        assert where.stdout.startswith(str(venv)), where.stdout + where.stderr

        setup = run([tool, "setup"], cwd=elsewhere, env=env)
        assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:] + engine(node)
        assert "kurtosis-tui/controller:" in setup.stdout and "built (FROM" in setup.stdout

        quickstart = run([tool, "run", str(CHECKOUT / "examples" / "quickstart"), "--no-tui"],
                         cwd=elsewhere, env=env)
        assert quickstart.returncode == 0, (quickstart.stdout[-3000:] + quickstart.stderr[-3000:]
                                            + engine(node))
        assert quickstart.stdout.splitlines()[-1].endswith("passed")

        doctor = run([tool, "doctor"], cwd=elsewhere, env=env)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert "info     path        offline:" in doctor.stdout
        # the controller image was built from the installed package, not the checkout
        with contextlib.closing(node.client()) as cli:
            controllers = cli.images.list(name="kurtosis-tui/controller")
            sources = {i.labels.get("kurtosis-tui.source") for i in controllers}
        assert sources == {str(Path(where.stdout.strip()).parent.parent)}
    finally:
        nodes.remove_node(node)

    # On this machine's engine too; the installed package is the checkout's content, so it
    # shares the checkout's controller image (tagged by content) and builds nothing.
    env = user_env(tmp_path)
    setup = run([tool, "setup"], cwd=elsewhere, env=env)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert f"ready: {images.controller}" in setup.stdout and "built (FROM" not in setup.stdout
    quickstart = run([tool, "run", str(CHECKOUT / "examples" / "quickstart"), "--no-tui"],
                     cwd=elsewhere, env=env)
    assert quickstart.returncode == 0, quickstart.stdout[-3000:] + quickstart.stderr[-3000:]
    print(f"wheel test: {time.monotonic() - started:.1f} s")
