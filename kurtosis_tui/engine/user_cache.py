"""Where the engine keeps its small state files: ``$XDG_CACHE_HOME/kurtosis-tui``."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """The engine's small state files (XDG_CACHE_HOME is honoured)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kurtosis-tui"
