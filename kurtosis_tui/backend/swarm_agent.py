"""The one-shot job the swarm backend runs on a node: what the manager cannot do there.

On a swarm the initializer reaches only the manager, but containers and
volumes are each node's own: a test's services (started by its controller
through the node's socket), the controller's task container and the test
volume. So the backend sends this small program, in the controller image
(already on every node), as a job pinned to the node, with the node's socket
mounted:

    python -m kurtosis_tui.backend.swarm_agent remove LABEL=VALUE...
    python -m kurtosis_tui.backend.swarm_agent stop CONTAINER SECONDS [LABEL=VALUE...]
    python -m kurtosis_tui.backend.swarm_agent kill CONTAINER SECONDS [LABEL=VALUE...]

``remove`` force-removes every container carrying all the labels, then every
such volume (retrying a volume still held by a container being removed).
``stop`` and ``kill`` signal the controller's container, then, given labels,
remove as ``remove`` does: one job both ends a cancelled test and cleans its node. It
prints one JSON line of what it did; the backend reads it from the job's logs.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.errors import BackendError, NotFound

#: Seconds ``remove`` keeps retrying volumes that are still in use.
VOLUME_DEADLINE = 20.0
#: The line the backend looks for in the job's logs.
MARKER = "@@kt-agent "


def remove(backend: DockerBackend, selectors: list[str]) -> dict[str, object]:
    """Remove the containers, then the volumes, carrying every ``LABEL=VALUE`` selector."""
    wanted = [s.partition("=") for s in selectors]

    def matches(labels: dict[str, str]) -> bool:
        return all(labels.get(k) == v for k, _, v in wanted)

    key, _, value = wanted[0]
    found = [o for o in backend.find_labelled(key, value) if matches(o.labels)]
    errors: list[str] = []
    containers = volumes = 0
    for obj in found:
        if obj.kind == "container":
            try:
                backend.remove_container(obj.id)
                containers += 1
            except BackendError as exc:
                errors.append(str(exc))
    deadline = time.monotonic() + VOLUME_DEADLINE
    pending = [o.name for o in found if o.kind == "volume"]
    while pending:
        failed: list[str] = []
        for name in pending:
            try:
                backend.remove_volume(name)
                volumes += 1
            except BackendError as exc:  # in use a moment longer, by a container going away
                failed.append(str(exc))
        if not failed:
            break
        if time.monotonic() > deadline:
            errors.extend(failed)
            break
        time.sleep(0.3)  # poll interval while a removal completes, bounded by the deadline
        pending = [v.name for v in backend.find_labelled(key, value)
                   if v.kind == "volume" and matches(v.labels)]
    return {"containers": containers, "volumes": volumes, "errors": errors}


def read_report(logs: str) -> dict[str, Any]:
    """The report an agent printed (its last MARKER line), read from its job's logs."""
    for line in reversed(logs.splitlines()):
        start = line.find(MARKER)
        if start >= 0:
            try:
                data = json.loads(line[start + len(MARKER):])
            except ValueError:
                break
            return data if isinstance(data, dict) else {}
    return {"errors": [f"the agent said nothing: {logs.strip()[-300:]}"]}


def main(argv: list[str]) -> int:
    backend = DockerBackend()
    if len(argv) >= 2 and argv[0] == "remove":
        report = remove(backend, argv[1:])
    elif len(argv) >= 3 and argv[0] in ("stop", "kill"):
        # stop|kill CONTAINER SECONDS [LABEL=VALUE...]: then remove what carries the labels
        # (a cancelled test's node is cleaned by the same job that stopped it)
        container, seconds, selectors = argv[1], float(argv[2]), argv[3:]
        if argv[0] == "stop":
            report = _lifecycle(lambda: backend.stop_container(container, timeout=seconds))
        else:
            report = _lifecycle(lambda: backend.kill_container(container))
        if selectors and not report.get("errors"):
            report = remove(backend, selectors)
    else:
        print("usage: swarm_agent remove LABEL=VALUE... | stop|kill CONTAINER SECONDS "
              "[LABEL=VALUE...]", file=sys.stderr)
        return 2
    print(MARKER + json.dumps(report), flush=True)
    return 1 if report.get("errors") else 0


def _lifecycle(action: object) -> dict[str, object]:
    try:
        action()  # type: ignore[operator]
    except NotFound:
        pass  # gone already: what we wanted
    except BackendError as exc:
        return {"errors": [str(exc)]}
    return {"errors": []}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
