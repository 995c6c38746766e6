"""What the initializer and the test controller agree on.

Names, labels, paths and environment variables live here and nowhere else, so
the two sides (one on the host, one in a container) cannot drift apart. The
labels and the ``kt-`` prefix are part of the public contract.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

# -- labels (public: users filter on them, `kurtosis-tui clean` relies on them)
LABEL_RUN = "kurtosis-tui.run"  # the run id; on every network, volume, container
LABEL_TEST = "kurtosis-tui.test"  # the test's name
LABEL_ATTEMPT = "kurtosis-tui.attempt"  # which attempt at the test (watch reruns)
LABEL_ROLE = "kurtosis-tui.role"  # "controller" | "service" | "network" | "volume"
LABEL_SERVICE = "kurtosis-tui.service"  # the service id, on service containers
LABEL_OWNER = "kurtosis-tui.owner"  # the initializer's token (engine.owner)
ROLE_FAULT_HELPER = "fault-helper"  # a service's fault helper (its LABEL_SERVICE names it)
ROLE_KEPT = "kept"  # a kept record: --keep-failed left this attempt's objects up

NAME_PREFIX = "kt-"


def attempt_labels(
    run_id: str, test: str, attempt: int, role: str, owner: str = "", **extra: str
) -> dict[str, str]:
    """The labels every Docker object of one test attempt carries (``extra`` added)."""
    labels = {
        LABEL_RUN: run_id,
        LABEL_TEST: test,
        LABEL_ATTEMPT: str(attempt),
        LABEL_ROLE: role,
    }
    if owner:
        labels[LABEL_OWNER] = owner
    labels.update(extra)
    return labels


def of_attempt(
    labels: Mapping[str, str], run_id: str, test: str, attempt: int, role: str | None = None
) -> bool:
    """Whether an object with ``labels`` belongs to this run's attempt at ``test``
    (and has ``role``, when given)."""
    return (
        labels.get(LABEL_RUN) == run_id
        and labels.get(LABEL_TEST) == test
        and labels.get(LABEL_ATTEMPT) == str(attempt)
        and (role is None or labels.get(LABEL_ROLE) == role)
    )

# -- paths inside the controller and the services
SUITE_MOUNT = "/suite"
VOLUME_MOUNT = "/test-volume"
CONTROLLER_LOG = f"{VOLUME_MOUNT}/controller.log"
SERVICES_SUBDIR = "services"  # a service's directory: <volume>/services/<service id>
DOCKER_SOCKET = "/var/run/docker.sock"

# -- the controller's environment, set by the initializer
ENV_RUN_ID = "KT_RUN_ID"
ENV_TEST_NAME = "KT_TEST_NAME"
ENV_TEST_FILE = "KT_TEST_FILE"  # relative to SUITE_MOUNT
ENV_ATTEMPT = "KT_ATTEMPT"
ENV_NETWORK = "KT_NETWORK"
ENV_SUBNET = "KT_SUBNET"
ENV_GATEWAY = "KT_GATEWAY"
ENV_VOLUME = "KT_VOLUME"
ENV_SETUP_TIMEOUT = "KT_SETUP_TIMEOUT"
ENV_RUN_TIMEOUT = "KT_RUN_TIMEOUT"
ENV_PARAMS = "KT_PARAMS"  # JSON object of str -> str
ENV_SECRETS = "KT_SECRETS"  # JSON object of str -> str: params whose values are masked
ENV_OWNER = "KT_OWNER"
ENV_SUITE_HOST_DIR = "KT_SUITE_HOST_DIR"  # the suite's path on the user's machine
ENV_KEEP_SERVICES = "KT_KEEP_SERVICES"  # "1": leave services up on failure (--keep-failed)
ENV_SUITE_ARCHIVE = "KT_SUITE_ARCHIVE"  # the suite, packed, where no bind mount reaches (swarm)
#: "1": the controller sends its services' log lines on its stdout (the initializer
#: cannot reach the services' engine, as on a swarm node, and a view wants them live)
ENV_FORWARD_LOGS = "KT_FORWARD_LOGS"
#: "1": the initializer follows the services' logs itself; the controller hands it the
#: log of a service the test started again, just before removing it (``LOG_AT_MARKER``)
ENV_HANDS_OVER_LOGS = "KT_HANDS_OVER_LOGS"
#: Set ("1") on a controller started before its test was chosen (prepared ahead): it
#: reads its settings, the ones above as one JSON object and a newline, on its stdin,
#: which the initializer holds open (``Backend.open_input``) until the test is chosen.
ENV_SETTINGS_ON_STDIN = "KT_SETTINGS_ON_STDIN"

ENV_FAULT_IMAGE = "KT_FAULT_IMAGE"  # the fault helper image (iptables, iproute2)
#: What this engine's kernel can do: "fault=" (supported) or "fault=what is missing",
#: separated by ";"; unset: the controller probes in its first helper.
ENV_FAULT_SUPPORT = "KT_FAULT_SUPPORT"

#: The image of the fault helpers, built offline by ``kurtosis-tui images``.
FAULT_IMAGE = "kurtosis-tui/faults:local"

# -- the controller's stdout: log lines, and events behind this marker
EVENT_MARKER = "@@kt-event "
#: ...and a service's log line: ``LOG_MARKER + service + " " + line``
LOG_MARKER = "@@kt-log "
#: ...and a line of a service container's log with its number in the whole log (from
#: 0, as Docker replays a log): ``LOG_AT_MARKER + container id + " " + number + " " + line``
LOG_AT_MARKER = "@@kt-log-at "


def unseen(had: int, first: int, lines: list[str]) -> tuple[list[str], int]:
    """Of ``lines``, numbered from ``first`` in a container's log, those past the ``had``
    lines already had; and how many are had then. The one rule by which two readers of
    one log (each replays it from its first line) hand over without a line twice."""
    return lines[max(0, had - first):], max(had, first + len(lines))


def numbered_line(wire: str) -> tuple[str, int, str] | None:
    """The container, number and text of a ``LOG_AT_MARKER`` line of the controller's
    stdout (None: not one)."""
    parts = wire[len(LOG_AT_MARKER):].split(" ", 2)
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]


SERVICE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,62}$")

_NAME = re.compile(r"[A-Za-z0-9_]+")  # what a Docker name may hold that a class name may
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


def test_slug(test: str, limit: int = 24) -> str:
    """A Docker-name-safe form of ``test`` that no other test name shares.

    A class name of ASCII letters, digits and ``_`` that fits in ``limit`` is its own
    slug, case kept: ``TestHTTP`` and ``TestHttp`` stay two tests. Any other (non-ASCII
    letters, longer) is cut, and ends with ``-`` and a hash of the exact name: the
    ``-`` no class name holds keeps it apart from every name of the first kind (and,
    unlike ``.``, a swarm accepts it in a network's name, a DNS name component).
    """
    if _NAME.fullmatch(test) and len(test) <= limit:
        return test
    digest = hashlib.sha1(test.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{_NOT_NAME.sub('_', test)[: limit - 9] or 'x'}-{digest}"


def object_name(run_id: str, test: str, attempt: int, *parts: str) -> str:
    """The name of a Docker object of one test attempt: ``kt-<run>-<test>-<attempt>[-parts]``.

    Injective: the test slug is (``test_slug``); a slug holds a ``-`` only before its
    hash, the attempt is digits and a part is a service id, which starts with a letter,
    so no split of the name is ambiguous. The controller's own container is
    ``controller_name()``, whose ``_`` after the attempt no service id can hold.
    """
    pieces = [NAME_PREFIX + run_id, test_slug(test), str(attempt), *parts]
    return "-".join(pieces)


def controller_name(run_id: str, test: str, attempt: int) -> str:
    """The controller container's name: never a service's (every service id is the user's)."""
    return object_name(run_id, test, attempt) + "_controller"
