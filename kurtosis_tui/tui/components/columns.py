"""The panels' width policy, in one place: which columns a narrow terminal hides.

Each table's columns are listed here with a priority. When a panel is too
narrow for all of them, the lowest priority hides first; the core columns
(a test's name and state, a service's id and availability) never hide. A
feature that adds a column (faults, node, history, CPU, memory) registers it
with ``register`` and a priority below ``CORE``: it shows when there is room
and hides before anything a user needs to tell what happened.

A column may also say when it is wanted at all (``wanted``, of the panel's
model): the history's column shows only for a suite with a past.

A column's cell is a function of the app (for theme colours), the row's model
object and the clock. A column's width is measured from its cells (the
widest, at least its label), except the one ``flexible`` column of a table,
which takes what the others leave (never less than its ``width``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rich.cells import cell_len
from rich.text import Text

from kurtosis_tui.events import ResourceUsage
from kurtosis_tui.tui.components.styles import seconds, status_style
from kurtosis_tui.tui.rows import ServiceState, TestRow

Row = TypeVar("Row")

#: Priorities: the core columns never hide; registered ones should stay below CORE.
CORE = 100
DETAIL = 50


@dataclass(frozen=True)
class Column(Generic[Row]):
    key: str
    label: str
    cell: Callable[[Any, Row, float], Text]  # (app, row, now) -> the cell
    priority: int = DETAIL
    width: int = 0  # the flexible column's minimum; others: at least this
    flexible: bool = False
    #: Shown only while this holds for the panel's model (None: always a candidate);
    #: the history's column, say, only for a suite that has a past.
    wanted: Callable[[Any], bool] | None = None


def fit(columns: Sequence[Column[Row]], widths: dict[str, int], room: int,
        padding: int = 0) -> list[Column[Row]]:
    """The columns that fit ``room`` cells, in their order: the lowest priority hides
    first, a column of priority ``CORE`` or more never does."""
    shown = list(columns)

    def need() -> int:
        return sum(max(c.width, widths.get(c.key, 0)) + padding for c in shown)

    while need() > room:
        optional = [c for c in shown if c.priority < CORE]
        if not optional:
            break
        shown.remove(min(optional, key=lambda c: (c.priority, -shown.index(c))))
    return shown


def measure(columns: Sequence[Column[Row]], cells: dict[str, list[Text]]) -> dict[str, int]:
    """Each column's width: its widest cell, at least its label (and its ``width``)."""
    return {
        c.key: max([c.width, cell_len(c.label), *(t.cell_len for t in cells.get(c.key, []))])
        for c in columns
    }


def middle_cut(text: str, width: int) -> str:
    """``AVeryLong…TestNumber12``: names that share a long start stay told apart."""
    if cell_len(text) <= width or width < 5:
        return text[:max(width, 0)]
    tail = (width - 1) // 2
    head = width - 1 - tail
    return f"{text[:head]}…{text[len(text) - tail:]}"


# ------------------------------------------------------------------ the tests panel


def _test_name(app: Any, row: TestRow, now: float) -> Text:
    return Text(f" {row.name}")


def _test_state(app: Any, row: TestRow, now: float) -> Text:
    status = row.status()
    return Text(f" {status}", style=status_style(app, status))


def _test_time(app: Any, row: TestRow, now: float) -> Text:
    att = row.latest
    return Text(seconds(att.elapsed(now)) if att is not None else "", justify="right")


#: " TIMED_OUT", " CANCELLED", " cancelling": the contract's words, unabridged.
STATE_WIDTH = 11
TIME_WIDTH = 7  # " 12.3 s"

TESTS_COLUMNS: list[Column[TestRow]] = [
    Column("test", " Test", _test_name, priority=CORE, width=12, flexible=True),
    Column("state", " State", _test_state, priority=CORE, width=STATE_WIDTH),
    Column("time", "Time", _test_time, priority=60, width=TIME_WIDTH),
]


# --------------------------------------------------------------- the services panel

_TONE_STATUS = {"good": "PASSED", "bad": "FAILED", "wait": "CANCELLED"}


def _service_id(app: Any, svc: ServiceState, now: float) -> Text:
    return Text(svc.id, style="bold")


def _service_availability(app: Any, svc: ServiceState, now: float) -> Text:
    status = _TONE_STATUS.get(svc.tone())
    return Text(svc.availability(now), style=status_style(app, status) if status else "dim")


def _service_ip(app: Any, svc: ServiceState, now: float) -> Text:
    return Text(svc.ip or "—")


def _service_state(app: Any, svc: ServiceState, now: float) -> Text:
    return Text(svc.state)


def _service_image(app: Any, svc: ServiceState, now: float) -> Text:
    return Text(svc.image)


def _usage(app: Any, svc: ServiceState) -> ResourceUsage | None:
    """The sampler's last reading (``app.usage``, by container) while the service runs."""
    if svc.state != "running":
        return None
    usage: dict[str, ResourceUsage] = getattr(app, "usage", {})
    return usage.get(svc.container)


def _service_cpu(app: Any, svc: ServiceState, now: float) -> Text:
    u = _usage(app, svc)
    return Text(f"{u.cpu_percent:.1f}%" if u else "—", justify="right",
                style="" if u else "dim")


def _service_memory(app: Any, svc: ServiceState, now: float) -> Text:
    u = _usage(app, svc)
    return Text(mebibytes(u.memory) if u else "—", justify="right", style="" if u else "dim")


def mebibytes(size: int) -> str:
    """``12.3M`` / ``1.20G``, as `docker stats` abbreviates (binary units)."""
    mib = size / 2**20
    return f"{mib / 1024:.2f}G" if mib >= 1024 else f"{mib:.1f}M"


def _service_faults(app: Any, svc: ServiceState, now: float) -> Text:
    return Text(svc.faults, style="bold") if svc.faults else Text("—", style="dim")


SERVICES_COLUMNS: list[Column[ServiceState]] = [
    Column("id", "Service", _service_id, priority=CORE),
    Column("availability", "Availability", _service_availability, priority=CORE),
    Column("ip", "IP", _service_ip, priority=70),
    Column("state", "State", _service_state, priority=60),
    # CPU and memory hide first (before faults): a narrow panel keeps what tells what happened.
    Column("cpu", "CPU", _service_cpu, priority=25),
    Column("memory", "Mem", _service_memory, priority=27),
    Column("image", "Image", _service_image, priority=40),
    # the faults in force on it (contract section 5): the first to hide when narrow
    Column("faults", "Faults", _service_faults, priority=30),
]

PANELS: dict[str, list[Any]] = {"tests": TESTS_COLUMNS, "services": SERVICES_COLUMNS}


def register(panel: str, column: Column[Any], *, after: str | None = None) -> None:
    """Add a column to the ``tests`` or ``services`` panel (after column ``after``, else
    last). Give it a priority below ``CORE``: narrow terminals hide it first."""
    columns = PANELS[panel]
    if any(c.key == column.key for c in columns):
        raise ValueError(f"the {panel} panel already has a column {column.key!r}")
    keys = [c.key for c in columns]
    columns.insert(keys.index(after) + 1 if after in keys else len(columns), column)
