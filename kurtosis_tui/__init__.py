"""kurtosis-tui: test networked software on real Docker networks.

The suite API (what a test file imports) is re-exported here. It is kept light:
importing it pulls in neither Textual nor the Docker SDK, so discovery stays fast.
"""

# No import at all (not typing's TYPE_CHECKING: ~3 ms, nor ``__future__``): this
# package is the first thing the console script imports, before the CLI can handle
# a Ctrl-C cleanly (engine/interrupts.py); what runs before that is a traceback's window.
TYPE_CHECKING = False
__version__ = "0.1.0"

__all__ = ["ExecResult", "FaultUnsupported", "Network", "Outcome", "Service", "Test", "checks"]

if TYPE_CHECKING:
    from typing import Any

    from kurtosis_tui.api import checks
    from kurtosis_tui.api.network import Network
    from kurtosis_tui.api.service import Service
    from kurtosis_tui.api.test import Test
    from kurtosis_tui.api.types import ExecResult
    from kurtosis_tui.errors import FaultUnsupported
    from kurtosis_tui.events import Outcome


#: Where each public name lives; imported on first use, so that
#: ``import kurtosis_tui`` costs nothing until the API is used.
_HOMES = {
    "Test": "kurtosis_tui.api.test",
    "Network": "kurtosis_tui.api.network",
    "Service": "kurtosis_tui.api.service",
    "ExecResult": "kurtosis_tui.api.types",
    "checks": "kurtosis_tui.api.checks",  # the module itself
    "FaultUnsupported": "kurtosis_tui.errors",
    "Outcome": "kurtosis_tui.events",
}


def __getattr__(name: str) -> "Any":
    import importlib  # here, not at the top: see TYPE_CHECKING's comment

    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'kurtosis_tui' has no attribute {name!r}")
    module = importlib.import_module(home)
    return module if name == "checks" else getattr(module, name)
