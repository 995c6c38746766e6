"""A node: a Docker engine of its own in a container (kurtosis_tui/cluster/node.py), real Docker.

Also where the controller images' clean-up is checked for real: on a node, so the
images it makes and removes are nobody else's.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Images

from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.cluster import node as nodes
from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup import images as image_setup
from kurtosis_tui.setup.wheels import package_root

pytestmark = pytest.mark.docker


def node_objects(name: str) -> list[str]:
    """What the host's engine holds for the node ``name`` (containers and volumes)."""
    label = f"{nodes.LABEL_NODE}={name}"
    with contextlib.closing(dockerio.client()) as cli:
        found = [f"container {c['Names'][0]}" for c in
                 cli.api.containers(all=True, filters={"label": label})]
        found += [f"volume {v['Name']}" for v in
                  cli.api.volumes(filters={"label": label}).get("Volumes") or []]
    return found


@pytest.fixture
def node(backend: DockerBackend) -> Iterator[nodes.Node]:
    name = f"t{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    one = nodes.start_node(name, labels={"kurtosis-tui.test": "node"})
    print(f"node start: {time.monotonic() - started:.2f} s")
    try:
        yield one
    finally:
        nodes.remove_node(one)
    assert node_objects(name) == []


def test_a_node_runs_containers_on_its_own_engine_and_leaves_nothing(
    backend: DockerBackend, images: Images,
) -> None:
    name = f"t{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    node = nodes.start_node(name)
    print(f"node start: {time.monotonic() - started:.2f} s")
    try:
        assert node.docker_host.startswith("tcp://127.0.0.1:")
        assert sorted(node_objects(name)) == [
            f"container /{nodes.container_name(name)}", f"volume {nodes.volume_name(name)}"]
        assert name in [n.name for n in nodes.find_nodes()]
        with contextlib.closing(node.client()) as cli:
            assert cli.info()["Name"] == name  # not the host's engine
            assert cli.images.list() == []
            assert nodes.load_images(node, [images.busybox]) == [images.busybox]
            assert nodes.load_images(node, [images.busybox]) == []  # already there
            out = cli.containers.run(images.busybox, ["sh", "-c", "echo hello from $(hostname)"],
                                     hostname="inner", remove=True)
            assert out == b"hello from inner\n"
            running = cli.containers.run(images.busybox, ["sleep", "600"], detach=True).id
            assert cgroups_of(running)  # the node's containers live in the host's cgroup tree
        # a second node of that name is refused, and the first is untouched
        with pytest.raises(UsageError, match="exists already"):
            nodes.start_node(name)
        assert len(node_objects(name)) == 2
    finally:
        nodes.remove_node(node)
    assert node_objects(name) == []
    assert cgroups_of(running) == []  # the node's engine removed them before it went
    nodes.remove_node(node)  # removing a node that is gone is no error


def cgroups_of(container_id: str) -> list[Path]:
    """The host's cgroup folders of a container (cgroup v1 controllers, or v2)."""
    root = Path("/sys/fs/cgroup")
    names = (f"docker/{container_id}", f"system.slice/docker-{container_id}.scope")
    return [path for name in names for path in (*root.glob(f"*/{name}"), *root.glob(name))]


def test_a_kept_volume_is_the_next_nodes_image_cache(backend: DockerBackend,
                                                     images: Images) -> None:
    name = f"t{uuid.uuid4().hex[:8]}"
    node = nodes.start_node(name)
    try:
        nodes.load_images(node, [images.busybox])
        nodes.remove_node(node, keep_volume=True)
        assert node_objects(name) == [f"volume {nodes.volume_name(name)}"]
        node = nodes.start_node(name)
        assert nodes.load_images(node, [images.busybox]) == []  # still there
    finally:
        nodes.remove_node(node)
    assert node_objects(name) == []


def test_a_superseded_controller_image_is_removed_unless_a_container_uses_it(
    node: nodes.Node, images: Images,
) -> None:
    repo = image_setup.CONTROLLER_REPO
    nodes.load_images(node, [images.busybox])
    dockerfile = dockerio.tar_context({"Dockerfile": f"FROM {images.busybox}\n".encode()})
    with contextlib.closing(node.client()) as cli:
        for version, source in [("old", package_root()), ("used", package_root()),
                                ("new", package_root()), ("other", "/another/checkout")]:
            dockerfile.seek(0)
            dockerio.build(cli, dockerfile, f"{repo}:{version}", progress=lambda _: None,
                           labels={image_setup.LABEL_IMAGE: "controller",
                                   image_setup.LABEL_SOURCE: str(source), "which": version})
        cli.containers.run(f"{repo}:used", ["sleep", "600"], detach=True)
        image_setup._remove_superseded_controllers(cli, keep=f"{repo}:new")
        tags = sorted(t for i in cli.images.list(name=repo) for t in i.tags)
    # the superseded one is gone; the one a run uses stays, and so does another checkout's
    assert tags == [f"{repo}:new", f"{repo}:other", f"{repo}:used"]


def test_a_node_whose_engine_cannot_start_says_why_and_leaves_nothing(
    backend: DockerBackend,
) -> None:
    name = f"t{uuid.uuid4().hex[:8]}"
    with pytest.raises(UsageError, match="dockerd did not start") as caught:
        nodes.start_node(name, daemon={"no-such-setting": True}, timeout=30)
    assert "no-such-setting" in str(caught.value)  # dockerd's own complaint, from its log
    assert node_objects(name) == []
