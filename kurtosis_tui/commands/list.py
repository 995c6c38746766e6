"""``kurtosis-tui list SUITE_DIR [--json]``: the suite's tests, without running anything.

A suite with no tests is an answer, not an error (exit 0): ``--json`` prints
``[]``, and stderr says where ``list`` looked, in ``run``'s words (``run`` has
nothing to run there, and exits 2).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from kurtosis_tui.engine.discovery import check_suite_dir, discover, no_tests_in


def main(args: argparse.Namespace) -> int:
    tests = discover(Path(args.suite_dir))
    if not tests:
        print(f"kurtosis-tui: {no_tests_in(check_suite_dir(Path(args.suite_dir)))}",
              file=sys.stderr)
    if args.json:
        print(json.dumps([dataclasses.asdict(t) for t in tests], indent=2))
        return 0
    width = max((len(t.name) for t in tests), default=0)
    where = max((len(f"{t.file}:{t.line}") for t in tests), default=0)
    for t in tests:
        summary = t.doc.splitlines()[0] if t.doc else ""
        print(f"{t.name:<{width}}  {f'{t.file}:{t.line}':<{where}}  {summary}".rstrip())
    return 0
