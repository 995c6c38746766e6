"""When the images are rebuilt (only when what goes into them changes), without Docker."""

from __future__ import annotations

import base64
import hashlib
import struct
import sys
import zipfile
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from kurtosis_tui.setup import image_labels, images
from kurtosis_tui.setup.base import is_static_elf
from kurtosis_tui.setup.wheels import build_package_wheel, read_package

BASE = "kurtosis-tui/base:bookworm"


class FakeApi:
    def __init__(self, present: dict[str, dict[str, Any]]) -> None:
        self.present = present

    def inspect_image(self, ref: str) -> dict[str, Any]:
        if ref not in self.present:
            raise docker.errors.ImageNotFound(f"no such image: {ref}")
        return self.present[ref]


class FakeClient:
    def __init__(self, present: dict[str, dict[str, Any]]) -> None:
        self.api = FakeApi(present)


def controller_built_from(base_id: str, package: list[tuple[str, bytes]]) -> dict[str, Any]:
    labels = {
        images.LABEL_INPUTS: images.controller_digest(BASE, base_id, package),
        images.LABEL_BASE: BASE,
        images.LABEL_BASE_ID: base_id,
    }
    return {"Id": "sha256:controller", "Config": {"Labels": labels}}


def state_of(present: dict[str, dict[str, Any]]) -> str:
    status, _ = images.controller_status(FakeClient(present))
    return status.state


def test_digest_depends_on_contents_names_and_facts_not_on_order() -> None:
    files = [("a.py", b"x = 1\n"), ("b.py", b"y = 2\n")]
    digest = image_labels.inputs_digest(files, {"base-id": "1"})
    assert image_labels.inputs_digest(list(reversed(files)), {"base-id": "1"}) == digest
    assert image_labels.inputs_digest([("a.py", b"x = 2\n"), files[1]], {"base-id": "1"}) != digest
    assert image_labels.inputs_digest([("c.py", b"x = 1\n"), files[1]], {"base-id": "1"}) != digest
    assert image_labels.inputs_digest(files, {"base-id": "2"}) != digest
    # a byte moved from one file to the next is a different input
    assert image_labels.inputs_digest([("a.py", b"x = 1"), ("b.py", b"\ny = 2\n")], {}) != \
        image_labels.inputs_digest(files, {})


def test_decide_builds_when_missing_or_stale_only() -> None:
    assert image_labels.decide(None, "d") == "missing"
    assert image_labels.decide({images.LABEL_INPUTS: "d"}, "d") == "ok"
    assert image_labels.decide({images.LABEL_INPUTS: "old"}, "d") == "stale"
    assert image_labels.decide({}, "d") == "stale"  # not built by us: the controller must match
    assert image_labels.decide({}, "d", adopt_foreign=True) == "ok"  # an official example image


def built(base_id: str, package: list[tuple[str, bytes]]) -> dict[str, dict[str, Any]]:
    """The controller image built FROM ``BASE`` (id ``base_id``) with these sources."""
    ref = images.controller_ref(images.controller_digest(BASE, base_id, package))
    return {ref: controller_built_from(base_id, package)}


def edited_package() -> list[tuple[str, bytes]]:
    return [(name, data + b"\n# edited\n" if name.endswith("/protocol.py") else data)
            for name, data in read_package()]


def test_controller_image_from_todays_inputs_is_up_to_date() -> None:
    present = {BASE: {"Id": "sha256:base1"}, **built("sha256:base1", read_package())}
    assert state_of(present) == "ok"


def test_controller_image_is_missing_until_built() -> None:
    assert state_of({BASE: {"Id": "sha256:base1"}}) == "missing"
    assert state_of({}) == "missing"  # no base yet either


def test_the_tag_is_the_content_hash_so_two_checkouts_never_share_one() -> None:
    ours, theirs = built("sha256:base1", read_package()), built("sha256:base1", edited_package())
    assert set(ours) != set(theirs)
    assert all(ref.startswith(images.CONTROLLER_REPO + ":") for ref in [*ours, *theirs])


def test_a_changed_source_file_needs_a_new_controller_image() -> None:
    present = {BASE: {"Id": "sha256:base1"}, **built("sha256:base1", edited_package())}
    assert state_of(present) == "missing"


def test_a_new_source_file_needs_a_new_controller_image() -> None:
    older = [(name, data) for name, data in read_package() if not name.endswith("/cli.py")]
    present = {BASE: {"Id": "sha256:base1"}, **built("sha256:base1", older)}
    assert state_of(present) == "missing"


def test_a_rebuilt_base_needs_a_new_controller_image() -> None:
    present = {BASE: {"Id": "sha256:base2"}, **built("sha256:base1", read_package())}
    assert state_of(present) == "missing"


def test_asking_for_another_base_needs_a_new_controller_image(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    present = {BASE: {"Id": "sha256:base1"}, "python:3.12-slim": {"Id": "sha256:py312"},
               **built("sha256:base1", read_package())}
    monkeypatch.setenv(images.ENV_BASE, "python:3.12-slim")
    assert state_of(present) == "missing"


def test_an_up_to_date_controller_image_is_not_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    present = {BASE: {"Id": "sha256:base1"}, **built("sha256:base1", read_package())}

    def no_build(*args: object, **kwargs: object) -> str:
        raise AssertionError("an up-to-date image was rebuilt")

    monkeypatch.setattr(images.dockerio, "build", no_build)
    said: list[str] = []
    ref = images.ensure_controller(FakeClient(present), said.append, None)
    assert ref in present and said == []


def test_the_package_wheel_is_deterministic_and_complete(tmp_path: Path) -> None:
    package = read_package()
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = build_package_wheel(tmp_path / "one", package)
    second = build_package_wheel(tmp_path / "two", package)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        names = set(zf.namelist())
        record = zf.read("kurtosis_tui-0.1.0.dist-info/RECORD").decode()
        protocol_src = zf.read("kurtosis_tui/protocol.py")
    assert {name for name, _ in package} <= names
    assert "kurtosis_tui/controller/__init__.py" in names
    assert not any("__pycache__" in name for name in names)
    digest = base64.urlsafe_b64encode(hashlib.sha256(protocol_src).digest()).rstrip(b"=")
    assert f"kurtosis_tui/protocol.py,sha256={digest.decode()}," in record


def _elf64(interp: bool) -> bytes:
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", header, 32, 64)  # program headers right after this header
    struct.pack_into("<HH", header, 54, 56, 2)
    load = struct.pack("<I", 1) + bytes(52)
    second = struct.pack("<I", 3 if interp else 4) + bytes(52)  # PT_INTERP or PT_NOTE
    return bytes(header) + load + second


def test_static_elf_detection(tmp_path: Path) -> None:
    static, dynamic, text = tmp_path / "static", tmp_path / "dynamic", tmp_path / "text"
    static.write_bytes(_elf64(interp=False))
    dynamic.write_bytes(_elf64(interp=True))
    text.write_text("#!/bin/sh\necho hi\n")
    assert is_static_elf(static)
    assert not is_static_elf(dynamic)
    assert not is_static_elf(text)
    assert not is_static_elf(Path(sys.executable).resolve())  # CPython links dynamically
    assert not is_static_elf(tmp_path / "missing")
