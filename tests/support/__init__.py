"""Test support shared by the tests, the screenshots and the benchmarks (not shipped).

The tests reach it as ``support.*`` (pytest puts ``tests/`` on ``sys.path``, and
``conftest.py`` has its asserts rewritten as a test module's are); scripts outside
``tests/`` add that folder first (see ``benchmarks/bench_tui_flood.py``).
"""
