"""Finding and removing what runs left in Docker, and never anything else.

Every object a run creates carries ``LABEL_RUN=<run id>``; the initializer's
objects also carry ``LABEL_OWNER``, the token of the process that made them
(see ``owner``). A run whose owner is certainly gone (an earlier boot of this
machine's included) is dead, and its objects may go; any doubt (another host,
a boot this machine never recorded, another PID namespace, an unreadable
/proc) counts as alive: we never touch that run.

``--keep-failed`` leaves a failed test's objects up. Docker labels cannot be
changed after creation, so the record that an attempt is kept is an object
of its own (``Backend.mark_kept``: a small volume on one engine, a config on a
swarm's manager), labelled as the attempt's, with role ``kept``
(``kt-...-<attempt>_kept``). It lives in the engine with the objects it keeps,
so every sweeper of that engine (another user's, another checkout's) sees it,
and no cache clean-up can lose it. Automatic sweeps and the reaper
skip kept attempts (the marker included); ``kurtosis-tui clean`` removes them,
marker and all.

Removal order matters: containers first (forced, in parallel: a network or a
volume still in use cannot go), then volumes, then networks. Missing objects
are fine: two cleaners may race.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from kurtosis_tui.backend import Backend, LabelledObject
from kurtosis_tui.engine.owner import owner_alive
from kurtosis_tui.errors import BackendError
from kurtosis_tui.protocol import (
    LABEL_ATTEMPT,
    LABEL_OWNER,
    LABEL_ROLE,
    LABEL_RUN,
    LABEL_TEST,
    NAME_PREFIX,
    ROLE_KEPT,
    object_name,
)

#: Containers removed at once (each removal is one API call that may wait on a stop).
REMOVE_WORKERS = 8
#: The kinds of object a run creates, in the order they are removed (and counted).
KIND_ORDER = ("container", "volume", "network")
_WHOLE_RUN = "*"


# -------------------------------------------------------------- kept records


def mark_kept(
    backend: Backend, run_id: str, test: str | None = None, attempt: int | None = None,
    owner: str = "",
) -> None:
    """Record, in the engine, that a test attempt's objects (no test: the whole run's) stay."""
    labels = {LABEL_RUN: run_id, LABEL_ROLE: ROLE_KEPT}
    if owner:
        labels[LABEL_OWNER] = owner
    if test is None:
        name = f"{NAME_PREFIX}{run_id}_kept"
    else:
        labels[LABEL_TEST] = test
        labels[LABEL_ATTEMPT] = "" if attempt is None else str(attempt)
        name = object_name(run_id, test, attempt or 0) + "_kept"
    backend.mark_kept(name, labels=labels)


def kept_entries(objects: Iterable[LabelledObject]) -> set[str]:
    """What the kept records among ``objects`` keep: ``test<TAB>attempt``, or ``*``."""
    entries = set()
    for obj in objects:
        if obj.labels.get(LABEL_ROLE) != ROLE_KEPT:
            continue
        test = obj.labels.get(LABEL_TEST)
        entries.add(_WHOLE_RUN if test is None else f"{test}\t{obj.labels.get(LABEL_ATTEMPT, '')}")
    return entries


def is_kept(obj: LabelledObject, entries: set[str]) -> bool:
    """Whether ``obj`` belongs to a kept test attempt (``entries`` from ``kept_entries``)."""
    if not entries:
        return False
    if _WHOLE_RUN in entries:
        return True
    test = obj.labels.get(LABEL_TEST)
    if test is None:
        return False
    attempt = obj.labels.get(LABEL_ATTEMPT, "")
    return f"{test}\t{attempt}" in entries or f"{test}\t" in entries


def _unkept(objects: list[LabelledObject], include_kept: bool) -> list[LabelledObject]:
    if include_kept:
        return objects
    entries = kept_entries(objects)
    return [o for o in objects if not is_kept(o, entries)]


# ------------------------------------------------------------------ removal


@dataclass
class Removed:
    """What a cleaner removed, and what it could not."""

    counts: Counter[str] = field(default_factory=Counter)  # kind -> how many
    errors: list[str] = field(default_factory=list)

    def add(self, other: Removed) -> None:
        self.counts.update(other.counts)
        self.errors.extend(other.errors)


def remove_objects(backend: Backend, objects: Iterable[LabelledObject]) -> Removed:
    """Remove these objects: containers (in parallel), then volumes, then networks."""
    by_kind: dict[str, list[LabelledObject]] = defaultdict(list)
    for obj in objects:
        by_kind[obj.kind].append(obj)
    removed = Removed()
    removers = {
        "container": backend.remove_container,
        "volume": backend.remove_volume,
        "network": backend.remove_network,
    }
    for kind in KIND_ORDER:
        batch = by_kind.get(kind, [])
        if not batch:
            continue
        one = partial(_remove_one, removers[kind])
        if len(batch) == 1:
            results = [one(batch[0])]
        else:
            workers = min(REMOVE_WORKERS, len(batch))
            with ThreadPoolExecutor(workers, thread_name_prefix="kt-clean") as pool:
                results = list(pool.map(one, batch))
        for error in results:
            if error is None:
                removed.counts[kind] += 1
            else:
                removed.errors.append(error)
    return removed


def _remove_one(remove: Callable[[str], None], obj: LabelledObject) -> str | None:
    """Remove one object; the error message instead of raising (others still go)."""
    try:
        remove(obj.id if obj.kind != "volume" else obj.name)
    except BackendError as exc:
        return str(exc)
    return None


def remove_run(backend: Backend, run_id: str, *, include_kept: bool = False) -> Removed:
    """Remove every object of ``run_id`` (except kept test attempts, unless ``include_kept``)."""
    return remove_objects(backend, _unkept(backend.find_labelled(LABEL_RUN, run_id), include_kept))


# ------------------------------------------------------------------- sweeps


@dataclass(frozen=True)
class RunObjects:
    """One run's objects as found in Docker, with what we know of its owner."""

    run_id: str
    objects: list[LabelledObject]
    owner: str | None  # LABEL_OWNER of any of its objects; None when none carries one

    @property
    def alive(self) -> bool | None:
        """True/False from the owner token; None when no object names an owner."""
        return None if self.owner is None else owner_alive(self.owner)


def labelled_runs(backend: Backend) -> list[RunObjects]:
    """Every run that has objects in Docker, by run id. Unlabelled objects never appear."""
    grouped: dict[str, list[LabelledObject]] = defaultdict(list)
    for obj in backend.find_labelled(LABEL_RUN):
        run_id = obj.labels.get(LABEL_RUN)
        if run_id:
            grouped[run_id].append(obj)
    runs = []
    for run_id, objects in sorted(grouped.items()):
        owner = next((o.labels[LABEL_OWNER] for o in objects if o.labels.get(LABEL_OWNER)), None)
        runs.append(RunObjects(run_id, objects, owner))
    return runs


@dataclass
class Sweep:
    """What a sweep did: removed objects, runs it left alone, runs it cleaned."""

    removed: Removed = field(default_factory=Removed)
    spared: list[RunObjects] = field(default_factory=list)  # live, remote or ownerless
    cleaned: list[str] = field(default_factory=list)  # run ids that had something removed


def sweep(backend: Backend, *, include_kept: bool = False, exclude: str | None = None) -> Sweep:
    """Remove the objects of runs whose owner is dead: the one sweep, for every caller.

    Runs with no owner label anywhere are left alone: every object kurtosis-tui
    makes names its owner, so those are another tool's. Kept test attempts stay
    unless ``include_kept`` (``kurtosis-tui clean``: the kept records go with
    them). ``exclude`` is the caller's own run (the
    start-up sweep's).
    """
    done = Sweep()
    for run in labelled_runs(backend):
        if run.run_id == exclude:
            continue
        if run.alive is not False:
            done.spared.append(run)
            continue
        doomed = _unkept(run.objects, include_kept)
        if doomed:
            done.removed.add(remove_objects(backend, doomed))
            done.cleaned.append(run.run_id)
    return done
