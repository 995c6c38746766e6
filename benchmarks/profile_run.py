"""Where does one ``kurtosis-tui run`` spend its time? Writes ``benchmarks/PROFILE.md``.

Not part of ``make bench`` (run it by hand: ``.venv/bin/python
benchmarks/profile_run.py``): it explains figures 1 and 2 rather than being a
figure. Five looks at figure 1's one-test suite:

1. imports of the host process (``python -X importtime``);
2. the discovery child process (its wall time and its imports);
3. the main thread, sampled by pyinstrument (start-up, waiting, shutdown);
4. every Docker API call the host process makes (``docker_proxy.CountingProxy``);
5. the controller's start-up inside its container (python, imports).
"""

from __future__ import annotations

import importlib.util
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import (
    BENCH_DIR,
    BUSYBOX_IMAGES,
    KURTOSIS_TUI,
    PYTHON,
    SUITES,
    client,
    kt_run_steady,
    pick_image,
    run_timed,
)
from docker_proxy import CountingProxy

from kurtosis_tui import protocol
from kurtosis_tui.setup.images import ensure_controller_image

SUITE = SUITES / "three_services"
OUT = BENCH_DIR / "PROFILE.md"
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s+)(\S+)")


def top_imports(stderr: str, limit: int = 12, depth: int = 1) -> tuple[float, list[str]]:
    """Total import seconds and the costliest modules up to ``depth`` levels of nesting."""
    rows: list[tuple[int, str]] = []
    total = 0
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if not match:
            continue
        cumulative, indent, name = int(match.group(2)), len(match.group(3)) - 1, match.group(4)
        level = indent // 2
        if level == 0:
            total += cumulative
        if level < depth:
            rows.append((cumulative, name))
    rows.sort(reverse=True)
    return total / 1e6, [f"| {name} | {us / 1000:.0f} |" for us, name in rows[:limit]]


def section_imports(args: list[str]) -> list[str]:
    timed = run_timed([PYTHON, "-X", "importtime", "-m", "kurtosis_tui", *args])
    total, rows = top_imports(timed.stderr)
    return ["## 1. Host process imports (`python -X importtime`)", "",
            f"Whole command: {timed.seconds:.2f} s (exit {timed.returncode}); imports in the "
            f"main process: **{total:.3f} s**. Costliest top-level imports:", "",
            "| module | cumulative ms |", "|---|---|", *rows, ""]


def section_discovery() -> list[str]:
    cmd = [PYTHON, "-m", "kurtosis_tui.engine.discover_main", str(SUITE)]
    walls = [run_timed(cmd).seconds for _ in range(5)]
    timed = run_timed([PYTHON, "-X", "importtime", *cmd[1:]])
    total, rows = top_imports(timed.stderr, limit=8)
    bare = statistics.median(run_timed([PYTHON, "-c", "pass"]).seconds for _ in range(5))
    return ["## 2. Discovery child process", "",
            f"`python -m kurtosis_tui.engine.discover_main` on the suite: median "
            f"**{statistics.median(walls):.3f} s** wall (a bare `python -c pass`: {bare:.3f} s); "
            f"its imports {total:.3f} s:", "",
            "| module | cumulative ms |", "|---|---|", *rows, ""]


def section_pyinstrument(args: list[str]) -> list[str]:
    if importlib.util.find_spec("pyinstrument") is None:
        return ["## 3. Main thread", "", "Not profiled: pyinstrument is not installed "
                "(`.venv/bin/pip install pyinstrument`).", ""]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profile.txt"
        timed = run_timed([PYTHON, "-m", "pyinstrument", "-i", "0.001", "-r", "text",
                           "--no-color", "-p", "processor_options.filter_threshold=0.01",
                           "-o", str(out), "-m", "kurtosis_tui", *args])
        text = out.read_text() if out.exists() else timed.stderr
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return ["## 3. Main thread (pyinstrument, 1 ms samples)", "",
            "The attempts run in their own threads: here the main thread's start-up, its "
            "wait, and its shutdown.", "", "```", *lines[:90], "```", ""]


def section_api_calls(args: list[str]) -> list[str]:
    path = Path(tempfile.gettempdir()) / f"kt-bench-proxy-{os.getpid()}.sock"
    for _ in range(3):  # again when the run rebuilt the controller image (the tree changed)
        with CountingProxy(path) as proxy:
            timed = run_timed([*KURTOSIS_TUI, *args], env={"DOCKER_HOST": proxy.url})
            time.sleep(0.5)  # let the last forwarded bytes be counted (no one waits on this)
            counts = dict(proxy.requests)
            connections = proxy.connections
            per_process = {k: dict(v) for k, v in proxy.per_process.items()}
        if "POST /build" not in counts:
            break
    rows = [f"| `{k}` | {v} |" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])]
    return ["## 4. Docker API calls by the host process", "",
            f"`DOCKER_HOST` pointed at a counting proxy (exit {timed.returncode}, "
            f"{timed.seconds:.2f} s): **{sum(counts.values())} requests over {connections} "
            "connections** (the reaper's and discovery's processes included; the controller "
            "uses the real socket).", "", "| request | count |", "|---|---|", *rows, "",
            "| process | connections | requests |", "|---|---|---|",
            *[f"| `{who}` | {c.get('connections', 0)} | {c.get('requests', 0)} |"
              for who, c in per_process.items()], ""]


def section_controller() -> list[str]:
    image = ensure_controller_image()
    code = ("import time; t = time.perf_counter(); import kurtosis_tui.controller, docker; "
            "print(round(time.perf_counter() - t, 3))")
    walls: list[float] = []
    imports: list[str] = []
    c = client()
    for _ in range(3):
        started = time.perf_counter()
        out = c.containers.run(image, ["-c", code], entrypoint=["python"], remove=True,
                               labels={protocol.LABEL_RUN: "profile"},
                               name=f"{protocol.NAME_PREFIX}profile-{os.getpid()}")
        walls.append(time.perf_counter() - started)
        imports.append(out.decode().strip())
    return ["## 5. The controller's start-up in its container", "",
            f"`docker run {image}` of python importing `kurtosis_tui.controller` and `docker`: "
            f"median **{statistics.median(walls):.3f} s** from create to removed; the imports "
            f"alone: {', '.join(imports)} s.", ""]


def main() -> int:
    image = pick_image(BUSYBOX_IMAGES)
    if image is None:
        print(f"no service image: one of {BUSYBOX_IMAGES}", file=sys.stderr)
        return 2
    args = ["run", str(SUITE), "--no-tui", "-j", "1", "--param", f"image={image}"]
    lines = ["# Profile of one `kurtosis-tui run`", "",
             f"Written by `benchmarks/profile_run.py` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} for "
             "`benchmarks/suites/three_services` (figure 1's test).", ""]
    for section in (lambda: section_imports(args), section_discovery,
                    lambda: section_pyinstrument(args), lambda: section_api_calls(args),
                    section_controller):
        kt_run_steady(SUITE, *args[2:])  # warm: the image built, caches hot
        lines += section()
    OUT.write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
