"""``python -m kurtosis_tui.setup``: what ``make setup`` does after the virtual environment.

A Docker engine that answers (started or installed where allowed), then the
controller's and the examples' images (host tools installed with apt where
allowed), and tmux for the tests. Exit 2 with what to do when something cannot be done here.
"""

from __future__ import annotations

import shutil
import sys

from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup import apt
from kurtosis_tui.setup.docker_engine import RealHost, ensure_engine


def _say(line: str) -> None:
    print(f"  {line}", flush=True)


def main() -> int:
    print("make setup: Docker engine", flush=True)
    code = ensure_engine(RealHost(), _say)
    if code:
        return code
    print("make setup: images", flush=True)
    from kurtosis_tui.setup.images import ensure_images

    try:
        refs = ensure_images(examples=True, progress=_say,
                             install=apt.install if apt.can_install() else None)
    except UsageError as exc:
        print(f"make setup: {exc}", file=sys.stderr)
        return 2
    for ref in refs:
        _say(f"ready: {ref}")
    _test_tools()
    return 0


def _test_tools() -> None:
    """tmux, for the test that closes the TUI's terminal mid-run (not needed to use the tool)."""
    if shutil.which("tmux") is not None:
        return
    print("make setup: test tools", flush=True)
    if not (apt.can_install() and apt.install(["tmux"])):
        _say("tmux is missing: the tests need it (`sudo apt-get install tmux`)")


if __name__ == "__main__":
    sys.exit(main())
