"""The history store: one SQLite file in the user's data folder, nothing to start.

Why SQLite (the standard library's): one file, safe for two runs writing at
once (WAL mode, a busy timeout), readable while a run writes. Logs and events
are stored zlib-compressed. ``PRAGMA user_version`` is the schema version: a
store from a newer kurtosis-tui is refused (``HistoryError``), never rewritten.

Where: ``$KURTOSIS_TUI_HOME/history.db``, else
``$XDG_DATA_HOME/kurtosis-tui/history.db`` (``~/.local/share`` by default).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kurtosis_tui.errors import KurtosisTuiError
from kurtosis_tui.events import Event
from kurtosis_tui.history import codec

SCHEMA_VERSION = 1
DEFAULT_KEEP = 100
#: Seconds a writer waits for another run's write to finish before giving up.
BUSY_TIMEOUT = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    pk INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    suite TEXT NOT NULL,
    suite_hash TEXT NOT NULL,
    exit_code INTEGER,
    repeat INTEGER NOT NULL DEFAULT 1,
    watching INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_id ON runs(id);
CREATE TABLE IF NOT EXISTS attempts (
    run INTEGER NOT NULL,
    test TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    file TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL,
    duration REAL NOT NULL,
    started REAL,
    finished REAL,
    phases TEXT NOT NULL,
    PRIMARY KEY (run, test, attempt)
);
CREATE INDEX IF NOT EXISTS attempts_test ON attempts(test);
CREATE TABLE IF NOT EXISTS logs (
    run INTEGER NOT NULL,
    test TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    source TEXT NOT NULL,
    lines INTEGER NOT NULL,
    dropped INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run, test, attempt, source)
);
CREATE TABLE IF NOT EXISTS events (
    run INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (run, seq)
);
"""


#: Who wrote each run (``engine.owner``'s token): a run whose writer is gone without
#: recording its end (killed) then reads as interrupted, not as running for ever. A
#: table of its own, made where missing: a store stays schema 1, read by either version.
_OWNERS = ("CREATE TABLE IF NOT EXISTS run_owners "
           "(run INTEGER PRIMARY KEY, owner TEXT NOT NULL)")


class HistoryError(KurtosisTuiError):
    """The store cannot be used (locked, full, corrupt, read-only, or too new)."""


def store_path() -> Path:
    """The store's file: ``$KURTOSIS_TUI_HOME``, else the XDG data folder."""
    home = os.environ.get("KURTOSIS_TUI_HOME")
    if home:
        return Path(home).expanduser() / "history.db"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "kurtosis-tui" / "history.db"


def keep_runs() -> int:
    """Runs kept (``KURTOSIS_TUI_HISTORY_RUNS``, default 100; 0 records nothing)."""
    raw = os.environ.get("KURTOSIS_TUI_HISTORY_RUNS", "").strip()
    if not raw:
        return DEFAULT_KEEP
    try:
        return max(0, int(raw))
    except ValueError:
        return DEFAULT_KEEP


@dataclass(frozen=True)
class AttemptRow:
    run: int
    test: str
    attempt: int
    file: str
    outcome: str
    message: str
    duration: float
    started: float | None = None
    finished: float | None = None
    phases: list[list[Any]] = field(default_factory=list)


@dataclass(frozen=True)
class RunRow:
    pk: int
    id: str
    started: float
    finished: float | None
    suite: str
    suite_hash: str
    exit_code: int | None
    repeat: int
    watching: bool
    owner: str | None = None  # the writer's token; None in a run recorded before owners

    @property
    def duration(self) -> float | None:
        return None if self.finished is None else max(0.0, self.finished - self.started)


@dataclass(frozen=True)
class StoredLog:
    test: str
    attempt: int
    source: str
    lines: list[str]
    dropped: int


def _explain(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"it is locked by another process ({text})"
    if "full" in text:
        return f"the disk is full ({text})"
    if "readonly" in text or "read-only" in text:
        return f"it is read-only ({text})"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return f"it is corrupt ({text}); `kurtosis-tui history --clear` starts a new one"
    return text


class Store:
    """An open store; every method raises ``HistoryError`` on any SQLite failure."""

    def __init__(self, path: Path | None = None, *, create: bool = True) -> None:
        self.path = path or store_path()
        self._owners = False  # whether the store has run_owners (a reader may not)
        if not create and not self.path.exists():
            self._db: sqlite3.Connection | None = None
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create {self.path.parent}: {exc.strerror}") from exc
        with self._guard():
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None,
                                 check_same_thread=False)
            self._db = db
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                db.close()
                self._db = None
                raise HistoryError(
                    f"the history store {self.path} was written by a newer kurtosis-tui "
                    f"(schema {version}, this one reads {SCHEMA_VERSION})")
            if version < SCHEMA_VERSION:
                if not create:  # nothing written yet: read as empty, leave the file be
                    db.close()
                    self._db = None
                    return
                db.execute("PRAGMA journal_mode=WAL")
                with self._transaction():
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif create:
                db.execute("PRAGMA journal_mode=WAL")
            if create:
                db.execute(_OWNERS)
            self._owners = bool(db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_owners'"
            ).fetchone())

    # ------------------------------------------------------------ plumbing

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise HistoryError(f"the history store {self.path}: {_explain(exc)}") from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise HistoryError(f"the history store {self.path} is closed or missing")
        return self._db

    @property
    def empty(self) -> bool:
        return self._db is None

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    # ------------------------------------------------------------- writing

    def begin_run(self, run_id: str, started: float, suite: str, suite_hash: str,
                  repeat: int = 1, watching: bool = False, owner: str | None = None) -> int:
        """A new run's row; its key for the other writes."""
        with self._guard(), self._transaction() as db:
            cur = db.execute(
                "INSERT INTO runs (id, started, suite, suite_hash, repeat, watching) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, started, suite, suite_hash, repeat, int(watching)))
            pk = int(cur.lastrowid or 0)
            if owner is not None and self._owners:
                db.execute("INSERT OR REPLACE INTO run_owners VALUES (?, ?)", (pk, owner))
            return pk

    def add_attempt(self, row: AttemptRow, logs: Sequence[tuple[str, list[str], int]],
                    events: Sequence[Event], seq: int) -> None:
        """One finished attempt: its row, its logs (``(source, lines, dropped)``), and
        the events seen since the last write (chunk ``seq``), in one transaction."""
        packed = [(source, len(lines), dropped, codec.pack(lines))
                  for source, lines, dropped in logs]
        chunk = codec.pack([codec.encode(e) for e in events]) if events else None
        with self._guard(), self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (row.run, row.test, row.attempt, row.file, row.outcome, row.message,
                 row.duration, row.started, row.finished, json.dumps(row.phases)))
            db.executemany(
                "INSERT OR REPLACE INTO logs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(row.run, row.test, row.attempt, s, n, d, blob) for s, n, d, blob in packed])
            if chunk is not None:
                db.execute("INSERT OR REPLACE INTO events VALUES (?, ?, ?)",
                           (row.run, seq, chunk))

    def add_events(self, run: int, seq: int, events: Sequence[Event]) -> None:
        if not events:
            return
        chunk = codec.pack([codec.encode(e) for e in events])
        with self._guard(), self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO events VALUES (?, ?, ?)", (run, seq, chunk))

    def finish_run(self, run: int, finished: float, exit_code: int | None) -> None:
        with self._guard(), self._transaction() as db:
            db.execute("UPDATE runs SET finished = ?, exit_code = ? WHERE pk = ?",
                       (finished, exit_code, run))

    def prune(self, keep: int) -> int:
        """Drop all but the newest ``keep`` runs; how many went."""
        with self._guard(), self._transaction() as db:
            old = [r[0] for r in db.execute(
                "SELECT pk FROM runs ORDER BY started DESC, pk DESC LIMIT -1 OFFSET ?",
                (keep,))]
            for table, column in (*self._by_run(), ("runs", "pk")):
                db.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(pk,) for pk in old])
            return len(old)

    def clear(self) -> None:
        with self._guard(), self._transaction() as db:
            for table, _ in (*self._by_run(), ("runs", "pk")):
                db.execute(f"DELETE FROM {table}")

    def _by_run(self) -> list[tuple[str, str]]:
        """The tables of a run's parts, and the column that names the run."""
        parts = [("attempts", "run"), ("logs", "run"), ("events", "run")]
        return [*parts, ("run_owners", "run")] if self._owners else parts

    # ------------------------------------------------------------- reading

    def runs(self, suite: str | None = None, limit: int | None = None) -> list[RunRow]:
        """Runs, newest first (of one suite when given)."""
        if self._db is None:
            return []
        sql = ("SELECT runs.*, run_owners.owner FROM runs LEFT JOIN run_owners "
               "ON run_owners.run = runs.pk" if self._owners else "SELECT runs.*, NULL FROM runs")
        args: list[Any] = []
        if suite is not None:
            sql += " WHERE runs.suite = ?"
            args.append(suite)
        sql += " ORDER BY runs.started DESC, runs.pk DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._guard():
            return [RunRow(pk, id_, started, finished, suite_, hash_, code, repeat, bool(w),
                           owner)
                    for pk, id_, started, finished, suite_, hash_, code, repeat, w, owner
                    in self._conn().execute(sql, args)]

    def find(self, ref: str) -> RunRow | None:
        """A run by id (or an id's start), ``last`` being the newest."""
        runs = self.runs()
        if ref == "last":
            return runs[0] if runs else None
        exact = [r for r in runs if r.id == ref]
        if exact:
            return exact[0]
        prefixed = [r for r in runs if r.id.startswith(ref)]
        return prefixed[0] if len(prefixed) == 1 else None

    def attempts(self, runs: Sequence[int]) -> list[AttemptRow]:
        """The attempts of these runs, in the order they finished."""
        if self._db is None or not runs:
            return []
        marks = ",".join("?" * len(runs))
        with self._guard():
            rows = self._conn().execute(
                f"SELECT * FROM attempts WHERE run IN ({marks}) ORDER BY finished, rowid",
                list(runs)).fetchall()
        return [AttemptRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8],
                           json.loads(r[9])) for r in rows]

    def events(self, run: int) -> list[Event]:
        """Every stored event of a run, in the order the views saw them."""
        out: list[Event] = []
        with self._guard():
            rows = self._conn().execute(
                "SELECT data FROM events WHERE run = ? ORDER BY seq", (run,)).fetchall()
        for (blob,) in rows:
            for item in codec.unpack(blob):
                event = codec.decode(item)
                if event is not None:
                    out.append(event)
        return out

    def logs(self, run: int, test: str | None = None) -> list[StoredLog]:
        sql = "SELECT test, attempt, source, dropped, data FROM logs WHERE run = ?"
        args: list[Any] = [run]
        if test is not None:
            sql += " AND test = ?"
            args.append(test)
        with self._guard():
            rows = self._conn().execute(sql, args).fetchall()
        return [StoredLog(t, a, s, codec.unpack(blob), d) for t, a, s, d, blob in rows]

    def size(self) -> int:
        """Bytes on disk (the file and its write-ahead log)."""
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += Path(f"{self.path}{suffix}").stat().st_size
        return total
