"""What every benchmark shares: images, timing, the figure format, leak checks.

Why a shared module: each benchmark is a small script with a ``main()`` that
prints one JSON document (see ``figure``), and ``run_all.py`` turns those into
``RESULTS.md``. The helpers here keep the scripts to what they measure.

The JSON a benchmark prints (its last stdout line)::

    {"figures": [{"name", "value", "unit", "goal", "met", "method", "details"}]}

``value`` is None and ``details["not_measured"]`` says why when a figure could
not be measured; ``met`` is True/False, or None when there is no value.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

from kurtosis_tui import protocol
from kurtosis_tui.setup.images import controller_status

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
SUITES = BENCH_DIR / "suites"
PYTHON = sys.executable
KURTOSIS_TUI = [PYTHON, "-m", "kurtosis_tui"]

#: Service images, best first: the real ones once `kurtosis-tui images --examples` ran.
BUSYBOX_IMAGES = ("kurtosis-tui/busybox:local", "kurtosis-tui/busybox:dev")
#: Images with python3 for the hand-written baseline's controller container.
PYTHON_IMAGES = ("kurtosis-tui/base:bookworm", "kurtosis-tui/base:dev")


@functools.cache
def client() -> docker.DockerClient:
    """The harness's Docker SDK client (one per process; never inside a timed region)."""
    return docker.from_env(timeout=120)


def engine_problem() -> str | None:
    """None when a Docker engine answers, else what is wrong (one line)."""
    try:
        client().ping()
    except (docker.errors.DockerException, OSError) as exc:
        return f"no Docker engine answers ({exc})"
    return None


def image_present(name: str) -> bool:
    try:
        client().images.get(name)
        return True
    except docker.errors.ImageNotFound:
        return False


def pick_image(candidates: Sequence[str]) -> str | None:
    """The first present image of ``candidates``, None when none is."""
    for name in candidates:
        if image_present(name):
            return name
    return None


def bench_run_id(prefix: str = "bench") -> str:
    """A run id for Docker objects a benchmark creates itself (labelled, ``kt-`` named)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


# ------------------------------------------------------------------ timing


@dataclass(frozen=True)
class Timed:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    #: each stdout line with the seconds since the spawn at which it arrived
    lines: tuple[tuple[float, str], ...] = ()

    def first_line_at(self, text: str) -> float | None:
        """When the first stdout line containing ``text`` arrived (None: never)."""
        return next((at for at, line in self.lines if text in line), None)


def run_timed(cmd: Sequence[str], *, timeout: float = 300,
              env: dict[str, str] | None = None) -> Timed:
    """Run a command to its exit and time it from just before the spawn to the exit,
    noting when each stdout line arrives (plain output flushes every line)."""
    full_env = {**os.environ, **(env or {})}
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full_env, cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    killer = threading.Timer(timeout, proc.kill)  # the deadline: a hung command is killed
    killer.start()
    errors: list[str] = []
    stderr = proc.stderr
    drain = threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True)
    drain.start()
    lines = [(time.perf_counter() - start, line.rstrip("\n")) for line in proc.stdout]
    code = proc.wait()
    seconds = time.perf_counter() - start
    killer.cancel()
    drain.join()
    return Timed(seconds, code, "\n".join(line for _, line in lines), "".join(errors),
                 tuple(lines))


def kt_run(suite: Path, *extra: str, timeout: float = 300) -> Timed:
    """``kurtosis-tui run SUITE --no-tui ...`` as a user would start it."""
    return run_timed([*KURTOSIS_TUI, "run", str(suite), "--no-tui", *extra], timeout=timeout)


def controller_image_id() -> str | None:
    """The controller image's id (None when missing): a change means a rebuild."""
    try:
        ref = controller_status(client())[0].ref
        return str(client().images.get(ref).id)
    except docker.errors.ImageNotFound:
        return None


#: Runs whose timing included a controller image rebuild (the tree changed under us).
REBUILDS: list[str] = []


def kt_run_steady(suite: Path, *extra: str, timeout: float = 300, tries: int = 3) -> Timed:
    """``kt_run``, run again when the controller image was rebuilt meanwhile.

    Teammates edit the package while benchmarks run; the command then rebuilds
    the controller image (a second or more) and that run's time says nothing
    about the per-test cost. So the image is brought up to date just before
    the timed spawn, and a run that rebuilt it all the same (an edit in that
    window) is noted in ``REBUILDS`` and retried.
    """
    from kurtosis_tui.setup.images import ensure_controller_image

    for attempt in range(tries):
        ensure_controller_image()  # build now, untimed, if the tree changed since the last run
        before = controller_image_id()
        timed = kt_run(suite, *extra, timeout=timeout)
        if controller_image_id() == before or attempt == tries - 1:
            return timed
        REBUILDS.append(f"{suite.name} {' '.join(extra)}: {timed.seconds:.2f} s")
    raise AssertionError("unreachable")


def alternate(a: Callable[[], float], b: Callable[[], float], pairs: int,
              warmup: int = 1) -> tuple[list[float], list[float]]:
    """Run A B A B ... so that drift in the machine's load hits both sides alike."""
    for _ in range(warmup):
        a()
        b()
    xs: list[float] = []
    ys: list[float] = []
    for _ in range(pairs):
        xs.append(a())
        ys.append(b())
    return xs, ys


def summary(samples: Sequence[float]) -> dict[str, float]:
    """Median, min, max and spread of samples (seconds), rounded for the report."""
    if not samples:
        return {}
    return {
        "median": round(statistics.median(samples), 3),
        "min": round(min(samples), 3),
        "max": round(max(samples), 3),
        "n": len(samples),
    }


# ------------------------------------------------------------------ figures


def figure(name: str, value: float | None, *, unit: str, goal: str, met: bool | None,
           method: str, **details: Any) -> dict[str, Any]:
    """One figure as run_all.py expects it."""
    return {"name": name, "value": None if value is None else round(value, 3), "unit": unit,
            "goal": goal, "met": met, "method": method, "details": details}


def not_measured(name: str, *, unit: str, goal: str, method: str, why: str,
                 **details: Any) -> dict[str, Any]:
    """A figure that could not be measured, and why (never a made-up number)."""
    return figure(name, None, unit=unit, goal=goal, met=None, method=method, not_measured=why,
                  **details)


def emit(*figures: dict[str, Any]) -> None:
    """Print the benchmark's result as its last stdout line."""
    print(json.dumps({"figures": list(figures)}))


def explain_failure(timed: Timed) -> str:
    """A short reason for a run that did not exit 0, for the report."""
    tail = (timed.stderr.strip() or timed.stdout.strip()).splitlines()[-3:]
    return f"exit {timed.returncode}: " + " | ".join(tail)


# ------------------------------------------------------------------ machine


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    mem_kib = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        version = client().version()
        docker_version = f"{version.get('Version')} (API {version.get('ApiVersion')})"
    except docker.errors.DockerException as exc:
        docker_version = f"unavailable: {exc}"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "docker": docker_version,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def other_containers() -> int:
    """Running containers that are not ours (others' tests skew the figures)."""
    return len(client().api.containers())


# ------------------------------------------------------------------ leaks


def leftovers(tests: Sequence[str] = (), run_prefixes: Sequence[str] = ()) -> list[str]:
    """Docker objects still there from our benchmark tests (by test name) or our own
    hand-written runs (by run-id prefix): every benchmark must leave none."""
    c = client()
    objects: list[tuple[str, dict[str, str]]] = []
    label = {"label": protocol.LABEL_RUN}
    # the low-level lists: the high-level ones inspect each object, racing others' removals
    objects += [((x.get("Names") or ["?"])[0].lstrip("/"), x.get("Labels") or {})
                for x in c.api.containers(all=True, filters=label)]
    objects += [(x.get("Name", "?"), x.get("Labels") or {})
                for x in c.api.networks(filters=label)]
    objects += [(x.get("Name", "?"), x.get("Labels") or {})
                for x in c.api.volumes(filters=label).get("Volumes") or []]
    return sorted(
        name for name, labels in objects
        if labels.get(protocol.LABEL_TEST) in tests
        or labels.get(protocol.LABEL_RUN, "").startswith(tuple(run_prefixes) or ("\0",))
    )
