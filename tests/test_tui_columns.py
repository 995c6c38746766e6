"""The panels' width policy (components/columns.py): what a narrow panel hides first."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text

from kurtosis_tui.tui.components import columns as c


def _cell(app: Any, row: Any, now: float) -> Text:
    return Text("")


def test_the_lowest_priority_hides_first_and_core_columns_never() -> None:
    cols = [c.Column("id", "Id", _cell, priority=c.CORE), c.Column("cpu", "CPU", _cell, 20),
            c.Column("ip", "IP", _cell, 70), c.Column("mem", "Mem", _cell, 20),
            c.Column("avail", "Availability", _cell, priority=c.CORE)]
    widths = {"id": 8, "cpu": 6, "ip": 15, "mem": 7, "avail": 20}
    keys = [col.key for col in c.fit(cols, widths, room=100)]
    assert keys == ["id", "cpu", "ip", "mem", "avail"]
    # 56 needed: the later of the two lowest (mem) goes first, then cpu, then ip.
    assert [col.key for col in c.fit(cols, widths, room=50)] == ["id", "cpu", "ip", "avail"]
    assert [col.key for col in c.fit(cols, widths, room=43)] == ["id", "ip", "avail"]
    assert [col.key for col in c.fit(cols, widths, room=30)] == ["id", "avail"]
    assert [col.key for col in c.fit(cols, widths, room=5)] == ["id", "avail"]


def test_another_feature_registers_a_column_that_hides_before_the_core_ones() -> None:
    before = list(c.SERVICES_COLUMNS)
    try:
        c.register("services", c.Column("extra", "Extra", _cell, priority=20),
                   after="availability")
        keys = [col.key for col in c.SERVICES_COLUMNS]
        assert keys == ["id", "availability", "extra", "ip", "state", "cpu", "memory", "image",
                        "faults"]
        with pytest.raises(ValueError):
            c.register("services", c.Column("extra", "Extra", _cell))
        widths = {"id": 7, "availability": 28, "extra": 6, "ip": 11, "state": 8, "cpu": 6,
                  "memory": 7, "image": 26, "faults": 6}
        shown = c.fit(c.SERVICES_COLUMNS, widths, room=62, padding=2)  # the optional ones go
        assert [col.key for col in shown] == ["id", "availability", "ip", "state"]
        shown = c.fit(c.SERVICES_COLUMNS, widths, room=130, padding=2)
        assert [col.key for col in shown] == keys
    finally:
        c.SERVICES_COLUMNS[:] = before


def test_cpu_and_memory_hide_before_the_image_and_the_state() -> None:
    widths = {"id": 7, "availability": 28, "ip": 11, "state": 8, "cpu": 6, "memory": 7,
              "image": 26, "faults": 6}
    shown = c.fit(c.SERVICES_COLUMNS, widths, room=95, padding=2)
    assert [col.key for col in shown] == ["id", "availability", "ip", "state", "image"]


def test_a_long_name_is_cut_in_the_middle() -> None:
    assert c.middle_cut("AVeryLongDescriptiveTestNameForCase12", 20) == "AVeryLongD…ForCase12"
    assert c.middle_cut("Short", 20) == "Short"
