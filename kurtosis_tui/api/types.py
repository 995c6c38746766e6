"""The suite API's plain values, importing nothing of the API: the leaf of its chain.

``checks`` needs ``ExecResult`` and ``service`` needs both; keeping them here lets
the API's modules import one another in one direction only
(``types`` <- ``checks`` <- ``runtime`` <- ``service`` <- ``network``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ExecResult", "ServiceDir"]


@dataclass(frozen=True)
class ExecResult:
    """What a command run in a service gave: its exit code, stdout and stderr together."""

    exit_code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def __iter__(self) -> Iterator[int | str]:
        """``code, output = service.exec(...)`` works too."""
        return iter((self.exit_code, self.output))


class ServiceDir(str):
    """A service's directory: a ``str`` that also joins like a ``Path`` (``dir / "a.txt"``)."""

    def __truediv__(self, other: str) -> Path:
        return Path(self) / other

    @property
    def path(self) -> Path:
        return Path(self)
