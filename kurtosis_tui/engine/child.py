"""How the engine starts a Python child of its own: isolated from the user's cwd.

``python -m`` and ``python -c`` put the working directory first on
``sys.path``. The tool runs from inside a suite, and a suite may well have a
helper called ``docker.py``, ``json.py`` or ``requests.py`` at its top: a child
started that way would import the suite's module instead of the library and
die (a reaper dying silently leaves everything behind). The child drops that
first entry (``''`` under ``-c``; absent under PYTHONSAFEPATH) before it imports
anything of ours. Not ``-I``: that would also
drop PYTHONPATH and the user's site-packages, where the tool may be installed.
"""

from __future__ import annotations

import sys


def python_main(module: str, *args: str) -> list[str]:
    """The command that runs ``module.main(args)`` in a child Python, its exit code the
    child's, with the working directory off ``sys.path``."""
    code = (
        "import sys; sys.path[:1] == [''] and sys.path.pop(0); "
        f"from {module} import main; sys.exit(main(sys.argv[1:]))"
    )
    return [sys.executable, "-c", code, *args]
