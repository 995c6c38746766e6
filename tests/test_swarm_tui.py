"""The TUI on a swarm run: each test's node, and the nodes panel (no Docker)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from support.fake import finish_story, setup_story
from test_tui_app import T0, Harness, screen_text, sync

from kurtosis_tui import events as ev
from kurtosis_tui.events import Outcome
from kurtosis_tui.tui.components.nodes_panel import NodesPanel
from kurtosis_tui.tui.model import RunModel


def on_node(events: list[ev.Event], node: str) -> list[ev.Event]:
    """The story with its controller started on ``node``, as the swarm backend says."""
    return [dataclasses.replace(e, node=node) if isinstance(e, ev.ControllerStarted) else e
            for e in events]


def test_the_model_counts_tests_per_node() -> None:
    model = RunModel()
    for e in [*on_node(setup_story("A", T0), "swarm-1"), *on_node(setup_story("B", T0),
                                                                   "swarm-2"),
              *on_node(setup_story("C", T0), "swarm-2"), *finish_story("C", T0, Outcome.PASSED)]:
        model.apply(e)
    assert model.nodes() == [("swarm-1", "", 1, 0), ("swarm-2", "", 1, 1)]
    model.apply(ev.NodesSeen(nodes=(("swarm-1", "ready"), ("swarm-2", "down"),
                                    ("swarm-3", "ready"))))
    assert model.nodes() == [("swarm-1", "ready", 1, 0), ("swarm-2", "down", 1, 1),
                             ("swarm-3", "ready", 0, 0)]
    assert RunModel().nodes() == []


@sync
async def test_nodes_panel_and_the_tests_node(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    async with harness.app.run_test(size=(120, 34)) as pilot:
        await harness.start(pilot)
        panel = harness.app.query_one(NodesPanel)
        await harness.emit(pilot, *setup_story("HelloHttp", T0))
        assert not panel.display  # one engine: no node, no panel
        await harness.emit(pilot, ev.NodesSeen(nodes=(("swarm-1", "ready"),
                                                      ("swarm-3", "ready"))),
                           *on_node(setup_story("RedisReplication", T0, attempt=1), "swarm-3"))
        assert panel.display
        text = screen_text(harness.app)
        assert "swarm-3" in text and "running" in text
        await pilot.press("down")  # select RedisReplication
        assert "on node swarm-3" in screen_text(harness.app)
        await harness.emit(pilot, *finish_story("RedisReplication", T0, Outcome.PASSED))
        rows = [ln.split("│")[1].split() for ln in screen_text(harness.app).splitlines()
                if ln.startswith("│ swarm-3")]  # the tests panel's column
        assert rows == [["swarm-3", "ready", "0", "1"]]  # none running there now, one done
        await harness.emit(pilot, ev.NodesSeen(nodes=(("swarm-1", "ready"),
                                                      ("swarm-3", "down"))))
        rows = [ln.split("│")[1].split() for ln in screen_text(harness.app).splitlines()
                if ln.startswith("│ swarm-")]
        assert rows == [["swarm-1", "ready", "0", "0"], ["swarm-3", "down", "0", "1"]]
