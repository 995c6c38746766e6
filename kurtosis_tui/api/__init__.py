"""The suite API: what a test file imports (``from kurtosis_tui import Network, Test, checks``).

Nothing here imports the Docker SDK or Textual: discovery imports suites on
the host, and the controller hands a backend in at run time (``runtime``).
"""
