"""``kurtosis-tui setup``: a Docker engine that answers, then the images a run needs.

What ``make setup`` does after the virtual environment (it calls this), so a
user who installed the package with pip gets the same machine: the engine
started (or installed and started) where allowed, then the controller's and the
examples' images, pulled from a registry where one answers, else built offline
(host tools installed with apt where allowed). Idempotent. Exit 2 with what to
do when something cannot be done here. ``--dev`` (``make setup`` passes it): also
what the project's own tests need (tmux), which a user of the tool does not.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup import apt
from kurtosis_tui.setup.docker_engine import RealHost, ensure_engine


def _say(line: str) -> None:
    print(f"  {line}", flush=True)


def main(args: argparse.Namespace | None = None) -> int:
    print("setup: Docker engine", flush=True)
    code = ensure_engine(RealHost(), _say)
    if code:
        return code
    print("setup: images", flush=True)
    from kurtosis_tui.setup.imageset import ensure_images

    try:
        refs = ensure_images(examples=True, progress=_say,
                             install=apt.install if apt.can_install() else None)
    except UsageError as exc:
        print(f"kurtosis-tui setup: {exc}", file=sys.stderr)
        return 2
    for ref in refs:
        _say(f"ready: {ref}")
    if getattr(args, "dev", False):
        _test_tools()
    return 0


def _test_tools() -> None:
    """tmux, for the test that closes the TUI's terminal mid-run (not needed to use the tool)."""
    if shutil.which("tmux") is not None:
        return
    print("setup: test tools", flush=True)
    if not (apt.can_install() and apt.install(["tmux"])):
        _say("tmux is missing: the tests need it (`sudo apt-get install tmux`)")
