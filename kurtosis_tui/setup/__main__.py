"""``python -m kurtosis_tui.setup``: what ``make setup`` does after the virtual environment.

A Docker engine that answers (started or installed where allowed), then the
controller's and the examples' images (host tools installed with apt where
allowed). Exit 2 with what to do when something cannot be done here.
"""

from __future__ import annotations

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
