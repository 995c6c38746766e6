"""``kurtosis-tui setup``: a Docker engine that answers, then the images a run needs.

What ``make setup`` does after the virtual environment (it calls this), so a
user who installed the package with pip gets the same machine: the engine
started (or installed and started) where allowed, then the controller's and the
examples' images, pulled from a registry where one answers, else built offline
(host tools installed with apt where allowed). Idempotent. Exit 2 with what to
do when something cannot be done here.
"""

from __future__ import annotations

import argparse
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
    return 0
