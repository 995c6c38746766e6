"""Colours from the active Textual theme, so every theme (and light ones) reads well."""

from __future__ import annotations

from textual.app import App

_STATUS_VARIABLE = {
    "PASSED": "success",
    "FAILED": "error",
    "ERRORED": "error",
    "TIMED_OUT": "error",
    "CANCELLED": "warning",
    "running": "accent",
    "tearing down": "warning",
    "cancelling": "warning",
}


def theme_color(app: App[object], variable: str, fallback: str = "default") -> str:
    """A theme variable as a Rich colour (``$success`` → ``#4EBF71``)."""
    return app.theme_variables.get(variable, fallback)


def status_style(app: App[object], status: str) -> str:
    """The Rich style for a test or service status word."""
    variable = _STATUS_VARIABLE.get(status)
    if variable is None:
        return "dim" if status in ("queued", "not run") else ""
    bold = " bold" if status in ("FAILED", "ERRORED", "TIMED_OUT", "PASSED") else ""
    return theme_color(app, variable) + bold


def seconds(value: float | None) -> str:
    """``3.2 s`` under a minute, ``2m05s`` above; empty when unknown."""
    if value is None:
        return ""
    if value < 60:
        return f"{value:.1f} s"
    minutes, secs = divmod(int(value), 60)
    return f"{minutes}m{secs:02d}s"
