"""Docker's stats answer, read as `docker stats` reads it (cgroup v1 and v2)."""

from __future__ import annotations

from typing import Any

from kurtosis_tui.backend.types import StatsSample


def stats_sample(raw: dict[str, Any]) -> StatsSample | None:
    """The counters of one ``stats(one_shot=True)`` answer; None when not running."""
    cpu = raw.get("cpu_stats") or {}
    usage = cpu.get("cpu_usage") or {}
    if not cpu.get("system_cpu_usage"):
        return None  # not running: the counters are empty
    memory = raw.get("memory_stats") or {}
    detail = memory.get("stats") or {}
    cache = detail.get("inactive_file", detail.get("total_inactive_file", 0))
    return StatsSample(
        cpu_total=int(usage.get("total_usage", 0)),
        system_total=int(cpu.get("system_cpu_usage", 0)),
        online_cpus=int(cpu.get("online_cpus") or len(usage.get("percpu_usage") or []) or 1),
        memory=max(0, int(memory.get("usage", 0)) - int(cache)),
        memory_limit=int(memory.get("limit", 0)),
    )
