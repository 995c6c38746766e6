"""Discovery: which classes are tests, and the errors that name a file and line."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path

import pytest
from support.engine import ROOT, run_cli

from kurtosis_tui.engine.discovery import Selection, discover, suite_target
from kurtosis_tui.errors import SuiteError, UsageError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture()
def suite(tmp_path: Path) -> Path:
    write(tmp_path, "helpers.py", """\
        from kurtosis_tui import Test
        GREETING = "hi"
    """)
    write(tmp_path, "test_web.py", """\
        import helpers
        from kurtosis_tui import Test

        print("user code printing at import time")

        class Web(Test):
            '''Serves a page.

            More words.'''
            setup_timeout = 5
            run_timeout = 7.5

        class Db(Test):
            pass
    """)
    write(tmp_path, "nested/more-tests.py", """\
        from test_web import Web

        class Derived(Web):
            '''Inherits Web's timeouts.'''
    """)
    write(tmp_path, ".hidden/test_hidden.py",
          "from kurtosis_tui import Test\nclass Hidden(Test): pass\n")
    write(tmp_path, "__pycache__/junk.py", "this is not python\n")
    return tmp_path


def test_finds_tests_defined_in_each_file_with_their_settings(suite: Path) -> None:
    tests = discover(suite)
    assert [(t.name, t.file, t.line) for t in tests] == [
        ("Web", "test_web.py", 6),
        ("Db", "test_web.py", 13),
        ("Derived", "nested/more-tests.py", 3),
    ]
    web = tests[0]
    assert web.doc == "Serves a page.\n\nMore words."
    assert (web.setup_timeout, web.run_timeout) == (5.0, 7.5)
    assert (tests[1].setup_timeout, tests[1].run_timeout) == (180.0, 180.0)
    # Web, imported into more-tests.py, is not a second test there; Derived inherits settings.
    assert (tests[2].setup_timeout, tests[2].run_timeout) == (5.0, 7.5)


def test_names_select_tests_and_unknown_names_are_a_usage_error(suite: Path) -> None:
    assert [t.name for t in discover(suite, ["Db", "Web"])] == ["Web", "Db"]
    with pytest.raises(UsageError) as info:
        discover(suite, ["Web", "Nope"])
    assert not isinstance(info.value, SuiteError)
    assert "Nope" in str(info.value) and "Db, Derived, Web" in str(info.value)


def test_glob_patterns_select_case_sensitively_and_a_near_miss_gets_a_hint(suite: Path) -> None:
    assert [t.name for t in discover(suite, ["*e*"])] == ["Web", "Derived"]
    assert [t.name for t in discover(suite, ["D?"])] == ["Db"]
    with pytest.raises(UsageError) as info:
        discover(suite, ["web"])  # names are case-sensitive: a hint, not a match
    assert "no test 'web'" in str(info.value) and "did you mean 'Web'?" in str(info.value)
    with pytest.raises(UsageError) as info:
        discover(suite, ["*Nothing*"])
    assert "no test '*Nothing*'" in str(info.value)


def test_a_file_of_the_suite_stands_for_the_tests_defined_in_it(suite: Path) -> None:
    folder, file = suite_target(suite / "test_web.py")
    assert (folder, file) == (suite.resolve(), "test_web.py")
    assert [t.name for t in discover(folder, Selection(file=file))] == ["Web", "Db"]
    assert [t.name for t in discover(folder, Selection(("D*",), file))] == ["Db"]
    assert suite_target(suite) == (suite.resolve(), None)
    with pytest.raises(UsageError, match=r"neither a suite directory nor a \.py file"):
        suite_target(write(suite, "notes.txt", "hello\n"))
    with pytest.raises(UsageError) as info:  # a typo in the file's name
        suite_target(suite / "test_wbe.py")
    assert str(info.value) == f"suite file {suite / 'test_wbe.py'} does not exist"


def test_syntax_error_names_file_and_line(suite: Path) -> None:
    write(suite, "nested/broken.py", "x = 1\nclass Oops(:\n    pass\n")
    with pytest.raises(SuiteError) as info:
        discover(suite)
    assert (info.value.file, info.value.line) == ("nested/broken.py", 2)
    assert str(info.value).startswith("nested/broken.py:2: ")
    assert "SyntaxError" in str(info.value)


def test_import_error_in_a_helper_names_the_helper(suite: Path) -> None:
    write(suite, "helpers.py", "import os\n\nraise RuntimeError('no config')\n")
    with pytest.raises(SuiteError) as info:
        discover(suite)
    assert (info.value.file, info.value.line) == ("helpers.py", 3)
    assert "RuntimeError: no config" in str(info.value)


def test_missing_module_is_a_suite_error(suite: Path) -> None:
    write(suite, "test_x.py", "\nimport not_a_module_anywhere\n")
    with pytest.raises(SuiteError) as info:
        discover(suite)
    assert str(info.value).startswith("test_x.py:2: ")
    assert "not_a_module_anywhere" in str(info.value)


def test_sys_exit_at_import_is_a_suite_error(suite: Path) -> None:
    write(suite, "test_exit.py", "import sys\nsys.exit(3)\n")
    with pytest.raises(SuiteError) as info:
        discover(suite)
    assert str(info.value).startswith("test_exit.py:2: ")


def test_two_tests_with_one_name_name_both_places(suite: Path) -> None:
    write(suite, "zz_again.py", "from kurtosis_tui import Test\n\n\nclass Db(Test):\n    pass\n")
    with pytest.raises(SuiteError) as info:
        discover(suite)
    assert str(info.value) == (
        "zz_again.py:4: two tests are named Db: here and at test_web.py:13"
    )


def test_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        discover(tmp_path / "nope")
    (tmp_path / "file.py").write_text("")
    with pytest.raises(UsageError, match="not a directory"):
        discover(tmp_path / "file.py")


def test_rediscovery_sees_edited_code(suite: Path) -> None:
    assert "Renamed" not in [t.name for t in discover(suite)]
    write(suite, "test_web.py", "from kurtosis_tui import Test\nclass Web(Test): pass\n"
                                "class Renamed(Test): pass\n")
    assert [t.name for t in discover(suite)] == ["Web", "Renamed", "Derived"]


def test_a_file_named_like_a_stdlib_module_still_counts(tmp_path: Path) -> None:
    write(tmp_path, "json.py", "from kurtosis_tui import Test\nclass InJson(Test): pass\n")
    assert [t.name for t in discover(tmp_path)] == ["InJson"]


def test_discovering_the_examples_is_fast() -> None:
    for suite in ("quickstart", "redis-replication", "partition"):
        discover(EXAMPLES / suite)  # warm the OS caches
        start = time.perf_counter()
        tests = discover(EXAMPLES / suite)
        elapsed = time.perf_counter() - start
        assert tests
        # Measured ~0.15 s alone; the bound only rules out a pathology (a process or an
        # import per file, a wait) on a loaded 2-core CI machine.
        assert elapsed < 5.0, f"discovering {suite} took {elapsed:.2f} s"


@pytest.mark.parametrize(("files", "why"), [
    ({}, "there is no *.py file in it or its subfolders"),
    ({"sub/helpers.py": "GREETING = 'hi'\n"},
     "no subclass of kurtosis_tui.Test is defined in its *.py file"),
    ({"a.py": "", "b.py": "import os\n"},
     "no subclass of kurtosis_tui.Test is defined in any of its 2 *.py files"),
])
def test_a_suite_without_tests_says_where_it_looked(
        tmp_path: Path, files: dict[str, str], why: str) -> None:
    """``list`` of a folder with no tests printed nothing and exited 0, as if it had
    listed them: it says so on stderr (still exit 0, ``[]`` for ``--json``), in the
    words ``run`` uses for the same folder (which has nothing to run: exit 2)."""
    suite = tmp_path / "suite"
    suite.mkdir()
    for rel, text in files.items():
        write(suite, rel, text)
    given = os.path.relpath(suite, ROOT)  # as typed, relative: the message says where
    said = f"kurtosis-tui: no tests in {suite}: {why}\n"
    listed = run_cli("list", given)
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "", said)
    as_json = run_cli("list", given, "--json")
    assert (as_json.returncode, json.loads(as_json.stdout), as_json.stderr) == (0, [], said)
    ran = run_cli("run", given, "--no-tui", env={"KURTOSIS_TUI_HOME": str(tmp_path / "h")})
    assert (ran.returncode, ran.stdout, ran.stderr) == (2, "", said)
