"""Helpers for tests that drive the TUI on an event loop of their own (no tests here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.app import App


async def until(predicate: Callable[[], bool], timeout: float = 10.0,
                what: str = "a condition", poll: float = 0.05) -> None:
    """Poll ``predicate`` against a deadline, yielding to the app (it runs on this loop)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(poll)


def screen_text(app: App[object]) -> str:
    """What the app's screen shows, a line a row."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
