"""What a view may ask about a live service: a shell's command line, CPU and memory.

CPU and memory come from one sampler for the whole session (never a stats
stream per container, never a worker of the view's): every ``PERIOD`` seconds
its thread reads each container a view asked about once, with Docker's
one-shot stats, and keeps the last reading. Docker 20.10 answers a one-shot
read at its collector's next 1 s tick (measured: ~1 s each, 20 s for 20 in a
row), so the reads of one round go out together, from a few threads of the
sampler's own that only wait on sockets. CPU % needs two readings, so a
container shows CPU from its second round on, which follows its first at once.
``usage()`` only reads what the thread keeps, so a view may call it on its UI
thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from kurtosis_tui.backend import Backend
from kurtosis_tui.backend.types import StatsSample
from kurtosis_tui.errors import UsageError
from kurtosis_tui.events import ResourceUsage

PERIOD = 2.0  # s between two readings of a container
READERS = 24  # reads of one round at once (each waits ~1 s for Docker's tick)
IDLE_ROUNDS = 5  # rounds without a view's question before the thread ends
SHELLS = ("sh", "bash")


def shell_command(backend: Backend, container: str, service: str) -> list[str]:
    """The command line of an interactive shell in ``container`` (``sh``, else ``bash``).

    Raises ``UsageError`` (one line for the user) when the service is not running or
    its image has neither shell; ``BackendError`` when the backend cannot attach one.
    """
    state = backend.container_state(container)
    if state.status != "running":
        raise UsageError(f"service {service!r} is not running ({state.status}): no shell")
    for shell in SHELLS:
        # A missing shell is a non-zero exit (126/127); a BackendError means this backend
        # cannot exec here at all (a swarm's job) and says why: it goes up as it is.
        if backend.exec(container, [shell, "-c", "exit 0"]).exit_code == 0:
            return backend.terminal_exec_argv(container, [shell])
    raise UsageError(f"the image of service {service!r} has neither sh nor bash: no shell")


def cpu_percent(before: StatsSample, after: StatsSample) -> float:
    """CPU % over the time between two readings, as `docker stats` counts it."""
    system = after.system_total - before.system_total
    used = after.cpu_total - before.cpu_total
    if system <= 0 or used < 0:
        return 0.0
    return used / system * after.online_cpus * 100.0


class StatsSampler:
    """One thread that reads the CPU and memory of the containers views ask about."""

    def __init__(self, read: Callable[[str], StatsSample | None], period: float = PERIOD,
                 clock: Callable[[], float] = time.time) -> None:
        self._read = read
        self._period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._wanted: set[str] = set()
        self._asked = 0  # rounds since a view last asked
        self._samples: dict[str, StatsSample] = {}
        self._usage: dict[str, ResourceUsage] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="kt-stats-read")
        self.round_seconds = 0.0  # how long the last round took (benchmarks)

    def usage(self, containers: Iterable[str]) -> dict[str, ResourceUsage]:
        """The last reading of each of ``containers`` that has one; they are read from
        now on (until no view has asked for a while). Never blocks on Docker."""
        wanted = set(containers)
        with self._lock:
            self._wanted, self._asked = wanted, 0
            if wanted and (self._thread is None or not self._thread.is_alive()) \
                    and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name="kt-stats",
                                                daemon=True)
                self._thread.start()
            return {c: self._usage[c] for c in wanted if c in self._usage}

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self._readers.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                wanted = set(self._wanted)
                self._asked += 1
                if self._asked > IDLE_ROUNDS:
                    self._thread = None  # the next question starts a new one
                    return
            began = time.monotonic()
            try:
                list(self._readers.map(self._sample, wanted))
            except RuntimeError:
                return  # closed while the round went out
            with self._lock:
                for gone in set(self._samples) - wanted:
                    self._samples.pop(gone, None)
                    self._usage.pop(gone, None)
                # A first reading has no CPU % yet: the second goes out at once (Docker
                # answers it at its next tick), so a new service shows its use ~1 s
                # later, not a whole period later.
                first = any(c in self._samples and c not in self._usage for c in wanted)
            self.round_seconds = time.monotonic() - began
            self._stop.wait(0.0 if first else max(0.0, self._period - self.round_seconds))

    def _sample(self, container: str) -> None:
        if self._stop.is_set():
            return
        try:
            sample = self._read(container)
        except Exception:  # whatever a read does, the sampler goes on
            sample = None
        with self._lock:
            before = self._samples.get(container)
            if sample is None:
                self._samples.pop(container, None)
                self._usage.pop(container, None)
                return
            self._samples[container] = sample
            if before is not None:
                self._usage[container] = ResourceUsage(
                    cpu_percent(before, sample), sample.memory, sample.memory_limit,
                    self._clock())
