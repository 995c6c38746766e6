"""Which tests a change reruns: the import graph of a suite, read with ``ast``."""

from __future__ import annotations

from pathlib import Path

import pytest

from kurtosis_tui.events import TestInfo
from kurtosis_tui.suite_files import is_suite_file, module_name
from kurtosis_tui.watch.mapping import affected_tests, parse_imports, suite_sources

TEST_HEADER = "from kurtosis_tui import Test\n"


def make_suite(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def infos(*pairs: tuple[str, str]) -> list[TestInfo]:
    return [TestInfo(name=name, file=file, line=2) for name, file in pairs]


@pytest.fixture()
def suite(tmp_path: Path) -> Path:
    """Two test files; helpers imported by one directly, by the other through util."""
    return make_suite(tmp_path, {
        "test_a.py": TEST_HEADER + "import helpers\nclass A1(Test): pass\nclass A2(Test): pass\n",
        "test_b.py": TEST_HEADER + "from util import thing\nclass B(Test): pass\n",
        "test_c.py": TEST_HEADER + "class C(Test): pass\n",
        "helpers.py": "X = 1\n",
        "util.py": "from helpers import X\nthing = X\n",
        "lonely.py": "Y = 2\n",
    })


TESTS = infos(("A1", "test_a.py"), ("A2", "test_a.py"), ("B", "test_b.py"), ("C", "test_c.py"))


def test_a_changed_test_file_reruns_only_its_own_tests(suite: Path) -> None:
    decision = affected_tests([suite / "test_c.py"], TESTS, suite)
    assert decision.rerun == ("C",)


def test_relative_paths_are_taken_from_the_suite(suite: Path) -> None:
    assert affected_tests(["test_a.py"], TESTS, suite).rerun == ("A1", "A2")


def test_a_helper_reruns_its_importers_transitively(suite: Path) -> None:
    decision = affected_tests([suite / "helpers.py"], TESTS, suite)
    assert decision.rerun == ("A1", "A2", "B")
    assert "helpers.py" in decision.note and "test_a.py, test_b.py" in decision.note


def test_an_intermediate_helper_reruns_only_its_side(suite: Path) -> None:
    assert affected_tests([suite / "util.py"], TESTS, suite).rerun == ("B",)


def test_a_helper_nobody_imports_reruns_nothing_and_says_so(suite: Path) -> None:
    decision = affected_tests([suite / "lonely.py"], TESTS, suite)
    assert decision.rerun == ()
    assert decision.note == "lonely.py changed: no test imports it"


def test_several_changes_are_united_in_suite_order(suite: Path) -> None:
    decision = affected_tests([suite / "test_c.py", suite / "util.py"], TESTS, suite)
    assert decision.rerun == ("B", "C")


def test_non_python_and_hidden_files_change_nothing(suite: Path) -> None:
    make_suite(suite, {"data.txt": "x", ".git/hooks.py": "import helpers\n",
                       "__pycache__/helpers.py": ""})
    changed = [suite / "data.txt", suite / ".git/hooks.py", suite / "__pycache__/helpers.py",
               suite / "helpers.py~", "/elsewhere/helpers.py"]
    assert affected_tests(changed, TESTS, suite) == affected_tests([], TESTS, suite)
    assert affected_tests([], TESTS, suite).rerun == ()


def test_a_deleted_helper_still_maps_to_its_importers(suite: Path) -> None:
    (suite / "util.py").unlink()
    assert affected_tests([suite / "util.py"], TESTS, suite).rerun == ("B",)


def test_a_new_helper_maps_to_files_that_already_named_it(suite: Path) -> None:
    make_suite(suite, {"test_c.py": TEST_HEADER + "import fresh\nclass C(Test): pass\n"})
    make_suite(suite, {"fresh.py": "Z = 3\n"})
    assert affected_tests([suite / "fresh.py"], TESTS, suite).rerun == ("C",)


def test_a_new_test_file_runs_its_tests(suite: Path) -> None:
    make_suite(suite, {"test_d.py": TEST_HEADER + "class D(Test): pass\n"})
    tests = [*TESTS, *infos(("D", "test_d.py"))]
    assert affected_tests([suite / "test_d.py"], tests, suite).rerun == ("D",)


def test_a_test_file_imported_by_another_reruns_both(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, {
        "base.py": TEST_HEADER + "class Base(Test): pass\n",
        "test_x.py": "from base import Base\nclass X(Base): pass\n",
    })
    tests = infos(("Base", "base.py"), ("X", "test_x.py"))
    assert affected_tests([suite / "base.py"], tests, suite).rerun == ("Base", "X")
    assert affected_tests([suite / "test_x.py"], tests, suite).rerun == ("X",)


def test_packages_and_relative_imports(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, {
        "lib/__init__.py": "from .net import ping\n",
        "lib/net.py": "from . import consts\ndef ping(): return consts.P\n",
        "lib/consts.py": "P = 1\n",
        "lib/unused.py": "",
        "tests/test_p.py": TEST_HEADER + "import lib\nclass P(Test): pass\n",
        "tests/test_q.py": TEST_HEADER + "from lib.consts import P\nclass Q(Test): pass\n",
    })
    tests = infos(("P", "tests/test_p.py"), ("Q", "tests/test_q.py"))
    assert affected_tests([suite / "lib/consts.py"], tests, suite).rerun == ("P", "Q")
    # Q's `from lib.consts import P` runs lib/__init__.py, which imports lib.net
    assert affected_tests([suite / "lib/net.py"], tests, suite).rerun == ("P", "Q")
    # importing lib.consts runs lib/__init__.py first
    assert affected_tests([suite / "lib/__init__.py"], tests, suite).rerun == ("P", "Q")
    assert affected_tests([suite / "lib/unused.py"], tests, suite).rerun == ()


def test_a_helper_beside_a_test_in_a_subfolder(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, {
        "sub/test_s.py": TEST_HEADER + "import near\nclass S(Test): pass\n",
        "sub/near.py": "",
    })
    tests = infos(("S", "sub/test_s.py"))
    assert affected_tests([suite / "sub/near.py"], tests, suite).rerun == ("S",)


def test_imports_inside_functions_count(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, {
        "test_f.py": TEST_HEADER + "class F(Test):\n    def run(self, n):\n        import late\n",
        "late.py": "",
    })
    assert affected_tests([suite / "late.py"], infos(("F", "test_f.py")), suite).rerun == ("F",)


def test_a_literal_import_module_is_a_static_import(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, {
        "test_l.py": "import importlib\nh = importlib.import_module('helpers')\n",
        "test_m.py": "x = __import__('json')\n",
        "helpers.py": "",
    })
    tests = infos(("L", "test_l.py"), ("M", "test_m.py"))
    decision = affected_tests([suite / "helpers.py"], tests, suite)
    assert decision.rerun == ("L",)
    assert "rerunning all" not in decision.note


@pytest.mark.parametrize(("code", "why"), [
    ("import importlib\nmod = importlib.import_module(NAME)\n", "computed name"),
    ("m = __import__(name)\n", "computed name"),
    ("exec(open('helpers.py').read())\n", "exec()"),
    ("import runpy\nrunpy.run_path('helpers.py')\n", "run_path()"),
    ("import sys\nsys.path.insert(0, 'lib')\n", "edits sys.path"),
    ("import sys\nsys.path += ['lib']\n", "edits sys.path"),
    ("def broken(:\n", "does not parse"),
])
def test_a_helper_reruns_all_when_imports_cannot_be_told(
    tmp_path: Path, code: str, why: str,
) -> None:
    suite = make_suite(tmp_path, {
        "test_dyn.py": TEST_HEADER + code,
        "test_plain.py": TEST_HEADER + "class Plain(Test): pass\n",
        "helpers.py": "",
    })
    tests = infos(("Dyn", "test_dyn.py"), ("Plain", "test_plain.py"))
    decision = affected_tests([suite / "helpers.py"], tests, suite)
    assert decision.rerun == ("Dyn", "Plain")
    assert decision.note.startswith("could not tell which tests import helpers.py (test_dyn.py:")
    assert why in decision.note and decision.note.endswith("rerunning all")


def test_a_method_named_like_a_builtin_is_not_dynamic(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, {
        "test_e.py": TEST_HEADER + "import helpers\nclass E(Test):\n"
                     "    def run(self, n):\n        n.service('box').exec(['true'])\n",
        "test_plain.py": TEST_HEADER + "class Plain(Test): pass\n",
        "helpers.py": "",
    })
    tests = infos(("E", "test_e.py"), ("Plain", "test_plain.py"))
    assert affected_tests([suite / "helpers.py"], tests, suite).rerun == ("E",)


def test_a_dynamic_file_does_not_widen_a_test_file_change(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, {
        "test_dyn.py": TEST_HEADER + "m = __import__(name)\n",
        "test_plain.py": TEST_HEADER + "class Plain(Test): pass\n",
    })
    tests = infos(("Dyn", "test_dyn.py"), ("Plain", "test_plain.py"))
    assert affected_tests([suite / "test_plain.py"], tests, suite).rerun == ("Plain",)


def test_a_helper_that_is_itself_dynamic_is_still_precise(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, {
        "loader.py": "import importlib\ndef load(n): return importlib.import_module(n)\n",
        "test_u.py": TEST_HEADER + "import loader\nclass U(Test): pass\n",
        "test_v.py": TEST_HEADER + "class V(Test): pass\n",
    })
    tests = infos(("U", "test_u.py"), ("V", "test_v.py"))
    assert affected_tests([suite / "loader.py"], tests, suite).rerun == ("U",)


def test_an_import_cycle_terminates(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, {
        "a.py": "import b\n", "b.py": "import a\n",
        "test_t.py": TEST_HEADER + "import a\nclass T(Test): pass\n",
    })
    assert affected_tests([suite / "b.py"], infos(("T", "test_t.py")), suite).rerun == ("T",)


def test_suite_sources_follow_discovery_rules(tmp_path: Path) -> None:
    make_suite(tmp_path, {"a.py": "", "sub/b.py": "", ".hidden/c.py": "",
                          "__pycache__/d.py": "", "e.txt": "", "sub/.x/f.py": ""})
    assert suite_sources(tmp_path) == ["a.py", "sub/b.py"]
    assert is_suite_file("sub/b.py") and not is_suite_file("../b.py")


def test_module_names() -> None:
    assert module_name("pkg/__init__.py") == "pkg"
    assert module_name("pkg/sub/mod.py") == "pkg.sub.mod"
    assert module_name("top.py") == "top"
    assert module_name(Path("pkg") / "mod.py") == "pkg.mod"
    assert module_name("my-tests.py") is None  # not importable by name: loaded as a file
    assert module_name("__init__.py") is None


def test_parse_imports_reads_every_form() -> None:
    code = (
        "import a.b.c\nfrom d import e, f\nfrom . import g\nfrom .h import i\n"
        "from ... import too_far\nfrom j import *\n"
    )
    names = parse_imports("pkg/mod.py", code).names
    assert {"a", "a.b", "a.b.c", "d", "d.e", "d.f", "pkg", "pkg.g", "pkg.h", "pkg.h.i",
            "j"} <= names
    assert "too_far" not in names and parse_imports("pkg/mod.py", code).opaque == ""
