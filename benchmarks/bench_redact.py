"""What masking ``--secret`` values costs a log line (by hand, not in ``make bench``).

Method: 300,000 log-like lines (60 to 130 characters, ASCII, no secret in them),
one 18-character secret. Three paths, best of 5 passes each, in ns per line:
- ``text``: ``Redactor.text`` on each line (the mask alone, per call);
- ``line``: ``ControllerLog.line`` of each line into memory (the controller's own
  lines, what a test prints: its whole cost, the time stamp and writing included);
- ``batch N``: ``Redactor.value`` on ``LogLines`` events of N lines (the
  initializer's mask of every event: 1 line at a trickle, up to 200 in a flood,
  ``engine/logbatch.MAX_BATCH``);
- ``forward``: the controller's forwarding of its services' lines,
  ``ControllerLog.forward`` of 200 lines at a time into memory (its whole cost,
  writing included; ``forward, no secret`` is the same without ``--secret``).
``--tree DIR`` measures the ``kurtosis_tui`` of another checkout (an earlier
commit's ``git archive``, say), for a before/after comparison on one machine.

Usage: ``.venv/bin/python benchmarks/bench_redact.py [--tree DIR]``
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from collections.abc import Callable

LINES = 300_000
SECRET = "s3cr3t-t0ken-value"
WORDS = ("GET", "POST", "/index.html", "200", "404", "bytes", "in", "ms", "user", "id=",
         "ok", "ready", "connection", "from", "172.30.0.5:43122", "served", "request",
         "cache", "miss", "hit")


def log_lines() -> list[str]:
    rng = random.Random(1)
    return [f"15:31:{i % 60:02d}.{i % 1000:03d} web | "
            + " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16)))
            for i in range(LINES)]


def best_ns_per_line(run: Callable[[], object], lines: int, passes: int = 5) -> float:
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best / lines * 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", help="import kurtosis_tui from this directory")
    args = parser.parse_args()
    if args.tree:
        sys.path.insert(0, args.tree)
    from kurtosis_tui.controller.log import ControllerLog
    from kurtosis_tui.events import LogLines
    from kurtosis_tui.redact import Redactor

    lines = log_lines()
    redactor = Redactor([SECRET])
    results = {}

    def per_line() -> None:
        text = redactor.text
        for line in lines:
            text(line)

    results["text"] = best_ns_per_line(per_line, len(lines))

    def controller_lines() -> None:
        log = ControllerLog(io.StringIO(), None, redactor)
        for line in lines:
            log.line(line)

    results["line"] = best_ns_per_line(controller_lines, len(lines))
    for size in (1, 10, 200):
        events = [LogLines("T", 1, source="web", lines=tuple(lines[i:i + size]))
                  for i in range(0, len(lines), size)]

        def batches(events: list[LogLines] = events) -> None:
            value = redactor.value
            for event in events:
                value(event)

        results[f"batch {size}"] = best_ns_per_line(batches, len(lines))
    chunks = [lines[i:i + 200] for i in range(0, len(lines), 200)]
    for name, masks in (("forward", redactor), ("forward, no secret", Redactor())):

        def forward(masks: Redactor = masks) -> None:
            log = ControllerLog(io.StringIO(), None, masks)
            for chunk in chunks:
                log.forward("web", chunk)

        results[name] = best_ns_per_line(forward, len(lines))
    for name, ns in results.items():
        print(f"{name:18s} {ns:8.1f} ns/line")
    print(json.dumps({"ns_per_line": {k: round(v, 1) for k, v in results.items()}}))


if __name__ == "__main__":
    main()
