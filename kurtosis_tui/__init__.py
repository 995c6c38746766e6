"""kurtosis-tui: test networked software on real Docker networks.

The suite API (what a test file imports) is re-exported here. It is kept light:
importing it pulls in neither Textual nor the Docker SDK, so discovery stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["ExecResult", "FaultUnsupported", "Network", "Outcome", "Service", "Test", "checks"]

if TYPE_CHECKING:
    from kurtosis_tui.api import checks
    from kurtosis_tui.api.network import Network
    from kurtosis_tui.api.service import Service
    from kurtosis_tui.api.test import Test
    from kurtosis_tui.api.types import ExecResult
    from kurtosis_tui.errors import FaultUnsupported
    from kurtosis_tui.events import Outcome


def __getattr__(name: str) -> Any:
    # Lazy, so that `import kurtosis_tui` costs nothing until the API is used.
    if name == "Test":
        from kurtosis_tui.api.test import Test

        return Test
    if name == "Network":
        from kurtosis_tui.api.network import Network

        return Network
    if name == "Service":
        from kurtosis_tui.api.service import Service

        return Service
    if name == "ExecResult":
        from kurtosis_tui.api.types import ExecResult

        return ExecResult
    if name == "checks":
        from kurtosis_tui.api import checks

        return checks
    if name == "FaultUnsupported":
        from kurtosis_tui.errors import FaultUnsupported

        return FaultUnsupported
    if name == "Outcome":
        from kurtosis_tui.events import Outcome

        return Outcome
    raise AttributeError(f"module 'kurtosis_tui' has no attribute {name!r}")
