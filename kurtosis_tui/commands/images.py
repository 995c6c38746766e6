"""``kurtosis-tui images [--examples]``: build the images a run needs, where missing or stale."""

from __future__ import annotations

import argparse
import sys

from kurtosis_tui.setup.imageset import ensure_images


def _say(line: str) -> None:
    print(line, flush=True)


def main(args: argparse.Namespace) -> int:
    refs = ensure_images(examples=bool(getattr(args, "examples", False)), progress=_say)
    for ref in refs:
        print(f"ready: {ref}", file=sys.stdout)
    return 0
