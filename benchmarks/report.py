"""Turn the benchmarks' figures into ``benchmarks/RESULTS.md``.

Why generated: the file must show one real run, with the machine it ran on,
never figures typed in by hand. Details are rendered generically (tables for
nested dicts), so a benchmark can add detail without touching this file.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from common import BENCH_DIR, ROOT

RESULTS = BENCH_DIR / "RESULTS.md"


def write_results(figures: list[dict[str, Any]], *, host: dict[str, Any],
                  timings: dict[str, float], leaks: list[str], errors: list[str],
                  total: float, testcontainers: str) -> Path:
    """Write RESULTS.md; returns its path."""
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`benchmarks/run_all.py`) on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, at commit `{_commit()}`, "
        f"in {total:.0f} s. Every number below comes from that run; a figure that could "
        "not be measured says why.",
        "",
        "## Machine",
        "",
        "| cores | CPU | memory | Docker | Python | kernel |",
        "|---|---|---|---|---|---|",
        f"| {host['cores']} | {host['cpu']} | {host['memory_gib']} GiB | {host['docker']} | "
        f"{host['python']} | {host['kernel']} |",
        "",
        f"Load average before: {host['load_avg']}, after: {host.get('load_avg_after')}; "
        f"containers running before: {host.get('containers_running_before')}, after: "
        f"{host.get('containers_running_after')} (others' work on the same engine skews "
        "figures; alternating the sides spreads that over both). testcontainers: "
        f"{testcontainers}.",
        "",
        "## Summary",
        "",
        "| # | figure | value | goal | met |",
        "|---|---|---|---|---|",
    ]
    for fig in figures:
        cells = [str(fig["number"]), fig["name"], _value(fig), fig.get("goal") or "", _met(fig)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", _derived(figures), "",
              "Where the time goes inside one run (imports, discovery, the main thread, every "
              "Docker API call): `PROFILE.md`, from `benchmarks/profile_run.py`.", ""]
    for fig in figures:
        lines += _section(fig)
    lines += ["## Housekeeping", ""]
    lines.append("- Docker objects left behind by the benchmarks: "
                 + (", ".join(leaks) if leaks else "none") + ".")
    lines.append("- Wall time per benchmark script: "
                 + ", ".join(f"`{k}` {v} s" for k, v in timings.items()) + ".")
    for error in errors:
        lines.append(f"- Error: {error}")
    RESULTS.write_text("\n".join(lines).rstrip() + "\n" + kept_sections())
    return RESULTS


def _commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    return proc.stdout.strip() or "unknown"


def _value(fig: dict[str, Any]) -> str:
    if fig.get("value") is None:
        return f"not measured: {fig.get('details', {}).get('not_measured', 'no value given')}"
    return f"{fig['value']} {fig.get('unit', '')}".strip()


def _met(fig: dict[str, Any]) -> str:
    return {True: "yes", False: "**no**", None: "-"}.get(fig.get("met"), "-")


def _derived(figures: list[dict[str, Any]]) -> str:
    """The time a run spends outside its test: measured from the plain output's lines,
    and as figure 1's command minus figure 2's session total (a cross-check)."""
    by_number = {f["number"]: f for f in figures}
    one, two = by_number.get(1), by_number.get(2)
    try:
        ends = dict(one["details"]["kt_command_ends"])  # type: ignore[index]
        command = one["details"]["seconds"]["kt"]["median"]  # type: ignore[index]
        session = two["details"]["steps"]["total (test started to test finished)"]  # type: ignore[index]
    except (KeyError, TypeError):
        return ""
    if not ends or command is None or session is None:
        return ""
    measured = "; ".join(f"{k} {v} s" for k, v in ends.items())
    return (f"Outside the test itself, the command spends: {measured} (figure 1's runs, "
            f"medians). Cross-check: figure 1's command median {command} s minus figure 2's "
            f"session total {session} s = {command - session:.2f} s.")


def _section(fig: dict[str, Any]) -> list[str]:
    lines = [f"## {fig['number']}. {fig['name']}", ""]
    if fig.get("method"):
        lines += [f"**Method.** {fig['method']}", ""]
    goal = f" Goal: {fig['goal']}; met: {_met(fig)}." if fig.get("goal") else ""
    lines += [f"**Result.** {_value(fig)}.{goal}", ""]
    details = {k: v for k, v in (fig.get("details") or {}).items() if k != "not_measured"}
    lines += _details(details)
    return lines


def _details(details: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    output = details.pop("output", None)
    if isinstance(output, list):
        lines += ["```", *map(str, output), "```", ""]
    scalars = {k: v for k, v in details.items() if not isinstance(v, dict)}
    for key, value in scalars.items():
        lines.append(f"- {key.replace('_', ' ')}: {_plain(value)}")
    if scalars:
        lines.append("")
    for key, value in details.items():
        if isinstance(value, dict) and value:
            lines += [f"*{key.replace('_', ' ')}*", "", *_table(value), ""]
    return lines


def _table(data: dict[str, Any]) -> list[str]:
    """A dict of dicts as rows x columns; a flat dict as two columns."""
    if data and all(isinstance(v, dict) for v in data.values()):
        columns: list[str] = []
        for row in data.values():
            columns += [c for c in row if c not in columns]
        out = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
        for name, row in data.items():
            if not row:
                continue
            out.append(f"| {name} | " + " | ".join(_plain(row.get(c)) for c in columns) + " |")
        return out
    out = ["| | |", "|---|---|"]
    out += [f"| {k} | {_plain(v)} |" for k, v in data.items()]
    return out


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


#: Sections that scripts outside ``make bench`` write (``bench_swarm.py``): kept as they are.
KEPT_HEADINGS = ("## Faults", "## Swarm")


def kept_sections() -> str:
    """The kept sections of the current RESULTS.md, each to the next heading of its level."""
    try:
        old = RESULTS.read_text()
    except FileNotFoundError:
        return ""
    kept = []
    for heading in KEPT_HEADINGS:
        start = old.find("\n" + heading)
        if start < 0:
            continue
        end = old.find("\n## ", start + 1)
        kept.append(old[start:end if end >= 0 else len(old)].strip("\n"))
    return "".join(f"\n{section}\n" for section in kept)
