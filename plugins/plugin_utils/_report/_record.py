# Copyright: volume_activation.kms contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet record: each host's outcome of every run, in an SQLite database beside the reports.

``kms_fleet.sqlite`` (standard library ``sqlite3``) holds the runs (``id``, ``generated``, ``mode``) and one
observation per host and run (``observed``: when the outcome was recorded, ``status``, and the report row as
JSON). The fleet view is the latest known outcome of every host ever recorded: an outcome over ``not_run``, then
the newest, then the later run. The record is bounded (rows, observations per host, hosts, file size) and what it
returns is rebuilt through the report model, so an edited database cannot smuggle fields, long text or full keys
into a report.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sqlite3
import typing as t
from dataclasses import dataclass

from ansible_collections.volume_activation.kms.plugins.plugin_utils._outcome import TIMESTAMP_FORMAT, row_as_result
from ansible_collections.volume_activation.kms.plugins.plugin_utils._report._model import (
    MODES,
    host_row,
    outcome_time,
)
from ansible_collections.volume_activation.kms.plugins.plugin_utils._sanitiser import NAME_LIMIT, host_text
from ansible_collections.volume_activation.kms.plugins.plugin_utils._vocabulary import Status

RECORD_FILE = "kms_fleet.sqlite"
SCHEMA_VERSION = 1
HISTORY_PER_HOST = 20  # observations kept per host (the latest outcome is always kept)
MAX_HOSTS = 200_000
MAX_ROW_BYTES = 64 * 1024
MAX_RECORD_BYTES = 2 * 1024**3
BUSY_TIMEOUT = 60  # seconds to wait for another run that writes the record
SOURCE = "record"

_SCHEMA = (
    "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, generated TEXT NOT NULL, mode TEXT NOT NULL)",
    "CREATE TABLE observations (run INTEGER NOT NULL REFERENCES runs (id), host TEXT NOT NULL, "
    "observed TEXT NOT NULL, status TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (run, host))",
    "CREATE INDEX observations_by_host ON observations (host, observed, status, run)",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
# Each host's observations ranked (from the index alone, without the rows): ``best`` 1 is the one the fleet view
# shows (an outcome over not_run, the newest, the later run), ``recent`` counts from the newest.
_RANKED = f"""
SELECT run, host,
       ROW_NUMBER() OVER (PARTITION BY host ORDER BY status <> '{Status.NOT_RUN.value}' DESC, observed DESC, run DESC)
           AS best,
       ROW_NUMBER() OVER (PARTITION BY host ORDER BY observed DESC, run DESC) AS recent
FROM observations
"""
_LATEST = f"""
SELECT o.run, runs.mode, o.host, o.observed, o.row
FROM ({_RANKED}) AS ranked
JOIN observations AS o ON o.run = ranked.run AND o.host = ranked.host
JOIN runs ON runs.id = o.run
WHERE ranked.best = 1
"""
# One host's observations in the order of the fleet view, for a host whose best one cannot be read.
_HOST_HISTORY = f"""
SELECT o.run, runs.mode, o.host, o.observed, o.row
FROM observations AS o JOIN runs ON runs.id = o.run
WHERE o.host = ?
ORDER BY o.status <> '{Status.NOT_RUN.value}' DESC, o.observed DESC, o.run DESC
"""


class RecordError(ValueError):
    """The fleet record cannot be opened, read or written."""


@dataclass(frozen=True)
class Run:
    """One run of the report as the record keeps it."""

    id: int
    generated: str
    mode: str


@dataclass(frozen=True)
class Known:
    """A host's latest known outcome: the run that observed it, that run's mode, and the outcome's row."""

    run: int
    mode: str
    row: dict[str, t.Any]


def record_path(dest: str) -> str:
    return os.path.join(dest, RECORD_FILE)


def _host(value: t.Any) -> str | None:
    """A host name as the record accepts it: text, bounded, no control characters."""
    if not isinstance(value, str) or not value or len(value) > NAME_LIMIT or host_text(value, NAME_LIMIT) != value:
        return None
    return value


def _stored(row: t.Mapping[str, t.Any]) -> str:
    """A row as JSON, its message cut when the whole would pass the bound."""
    text = json.dumps(dict(row), ensure_ascii=False, default=str)
    if len(text.encode("utf-8")) <= MAX_ROW_BYTES:
        return text
    shorter = dict(row, message=host_text(str(row.get("message") or ""), MAX_ROW_BYTES // 8))
    return json.dumps(shorter, ensure_ascii=False, default=str)


def _row(host: str, text: t.Any, observed: t.Any) -> dict[str, t.Any] | None:
    """A stored row rebuilt through the report model (None when it is not one)."""
    if not isinstance(text, str) or len(text.encode("utf-8")) > MAX_ROW_BYTES:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    data["message"] = host_text(str(data.get("message") or ""))
    row = host_row(host, row_as_result(data), SOURCE)
    row["time"] = outcome_time(observed) or row["time"]
    return row


def _known(run: t.Any, mode: t.Any, name: t.Any, observed: t.Any, text: t.Any) -> tuple[t.Any, Known | None]:
    """The host name of an observation and, when the name, the mode and the row can be read, what it tells."""
    host = _host(name)
    if host is None or mode not in MODES or not isinstance(run, int):
        return name, None
    row = _row(host, text, observed)
    return host, None if row is None else Known(run, str(mode), row)


class FleetRecord:
    """The record of one report directory; use as a context manager (one connection, closed on exit)."""

    def __init__(self, dest: str) -> None:
        self.path = record_path(dest)
        self._connection: sqlite3.Connection | None = None

    def __enter__(self) -> FleetRecord:
        if os.path.exists(self.path) and os.path.getsize(self.path) > MAX_RECORD_BYTES:
            raise RecordError(f"the fleet record {self.path} is larger than {MAX_RECORD_BYTES} bytes")
        try:
            self._connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
            self._check_schema()
        except sqlite3.Error as error:
            self.__exit__()
            raise RecordError(f"{self.path} is not a fleet record of kms_client_report ({error})") from error
        except RecordError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RecordError("the fleet record is not open")
        return self._connection

    def _check_schema(self) -> None:
        """Create the tables in a new record (one transaction: runs that start together create them once)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if version == 0 and not tables - {"sqlite_sequence"}:
                for statement in _SCHEMA:
                    db.execute(statement)
            elif version != SCHEMA_VERSION or not {"runs", "observations"} <= tables:
                raise RecordError(
                    f"{self.path} is not a fleet record of kms_client_report (schema version {version}, "
                    f"expected {SCHEMA_VERSION}); move it away to start a new record"
                )
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    def record(self, rows: t.Iterable[t.Mapping[str, t.Any]], mode: str, generated: str) -> Run:
        """Store one run: each row's outcome, observed at its ``time`` (else ``generated``). One transaction."""
        if mode not in MODES:
            raise RecordError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            run = db.execute("INSERT INTO runs (generated, mode) VALUES (?, ?)", (generated, mode)).lastrowid
            entries = [
                (run, row["host"], outcome_time(row.get("time")) or generated, str(row["status"]), _stored(row))
                for row in rows
                if _host(row.get("host"))
            ]
            db.executemany("INSERT OR REPLACE INTO observations VALUES (?, ?, ?, ?, ?)", entries)
            (hosts,) = db.execute("SELECT COUNT(DISTINCT host) FROM observations").fetchone()
            if hosts > MAX_HOSTS:
                raise RecordError(f"the fleet record would hold {hosts} hosts, more than {MAX_HOSTS}")
            db.execute(
                f"DELETE FROM observations WHERE (run, host) IN (SELECT run, host FROM ({_RANKED}) "
                "WHERE best > 1 AND recent > ?)",
                (HISTORY_PER_HOST,),
            )
            db.execute("DELETE FROM runs WHERE id <> ? AND id NOT IN (SELECT run FROM observations)", (run,))
            db.execute("COMMIT")
        except (sqlite3.Error, RecordError) as error:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            if isinstance(error, RecordError):
                raise
            raise RecordError(f"cannot write the fleet record {self.path}: {error}") from error
        return Run(id=int(run or 0), generated=generated, mode=mode)

    def latest(self) -> dict[str, Known]:
        """Every host ever recorded, with its latest known outcome (an unreadable observation gives way to the next)."""
        latest: dict[str, Known] = {}
        unread: list[str] = []
        try:
            for entry in self._db.execute(_LATEST):
                host, known = _known(*entry)
                if known is not None:
                    latest[host] = known
                elif _host(host):
                    unread.append(host)
            for host in unread:
                for entry in self._db.execute(_HOST_HISTORY, (host,)):
                    known = _known(*entry)[1]
                    if known is not None:
                        latest[host] = known
                        break
        except sqlite3.Error as error:
            raise RecordError(f"cannot read the fleet record {self.path}: {error}") from error
        return latest


def record_problem(dest: str) -> str | None:
    """Why the record in ``dest`` cannot be used (it exists and is no fleet record), or None."""
    path = record_path(os.path.abspath(os.path.expanduser(dest)))
    if not os.path.exists(path):
        return None
    try:
        with FleetRecord(os.path.dirname(path)):
            return None
    except RecordError as error:
        return str(error)


def _age_days(observed: t.Any, now: str) -> int | None:
    """Whole days from ``observed`` to ``now`` (both collection timestamps), or None when one is unknown."""
    then, until = outcome_time(observed), outcome_time(now)
    if then is None or until is None:
        return None
    elapsed = datetime.datetime.strptime(until, TIMESTAMP_FORMAT) - datetime.datetime.strptime(then, TIMESTAMP_FORMAT)
    return max(elapsed.days, 0)


@dataclass(frozen=True)
class FleetView:
    """What the files show of the fleet: a row per host, and the mode those rows tell (``apply`` once any run that
    gave one converted)."""

    rows: list[dict[str, t.Any]]
    mode: str


def fleet_view(run_rows: t.Mapping[str, t.Mapping[str, t.Any]], latest: t.Mapping[str, Known], run: Run) -> FleetView:
    """Every host's latest known outcome, this run's own row where this run gave it one."""
    rows = {host: dict(row, in_run=True, age_days=0) for host, row in run_rows.items()}
    modes = {run.mode}
    for host, known in latest.items():
        if known.run != run.id or host not in rows:
            rows[host] = dict(known.row, in_run=False, age_days=_age_days(known.row.get("time"), run.generated))
            modes.add(known.mode)
    return FleetView(list(rows.values()), "apply" if "apply" in modes else "check")
