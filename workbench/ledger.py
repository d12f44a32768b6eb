"""The decisions ledger: what reviewers decided about each line, and every run of every period.

One SQLite file per workspace (``ledger.sqlite``, beside ``workspace.toml``). Decisions are
append-only: every approve, adjust, dismiss and clear is a new row, and the decision in force for
a line is the latest row for its ``(period, line_id)``. Nothing is ever updated or deleted, so the
history of a line is the table itself.

Every write is one short ``BEGIN IMMEDIATE`` transaction on a WAL-mode file with a busy timeout:
two processes (a notebook and the dashboard, or two browser tabs behind one Voila server) writing
at once wait for each other instead of failing, and nothing is lost.

Money and quantities are stored as TEXT decimals, never REAL, and read back as
:class:`~decimal.Decimal`. Decisions belong to one period, so a dismissal lapses when the period
ends: the next period's review shows the line as pending again.

Changes to ``mappings.xlsx`` made from the dashboard are recorded here too (who, when, what, and
the previous version kept), by :mod:`workbench.mapping_edits`: the ledger says who changed the
mappings as it says who decided.

The schema carries its version in ``PRAGMA user_version``; :data:`MIGRATIONS` takes a file from
any older version to the current one, in order, when it is opened.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import pandas as pd

from workbench.errors import WorkbenchError
from workbench.money import ZERO, to_cents
from workbench.result import ADJUSTMENT_STATUSES, BUNDLE_STATUSES, Reconciliation
from workbench.sources.reading import MAX_COUNT
from workbench.workspace import Workspace, check_period

LEDGER_FILE = "ledger.sqlite"

#: Statuses a reviewer decides on: proposed billing changes and bundle findings.
REVIEW_STATUSES = (*ADJUSTMENT_STATUSES, *BUNDLE_STATUSES)

#: What a decision remembers of its line; a later run that moves any of the first three shows
#: the line again as ``changed``.
SNAPSHOT_FIELDS = (
    "status",
    "billed_quantity",
    "expected_quantity",
    "difference",
    "unit_price",
    "revenue_impact",
)
COMPARED_FIELDS = ("status", "billed_quantity", "expected_quantity")

#: Columns :meth:`Ledger.review` adds to the lines it returns.
REVIEW_COLUMNS = ["decision", "quantity", "note", "who", "decided_at", "state"]
RUN_COLUMNS = [
    "run_id",
    "period",
    "recorded_at",
    "who",
    "inputs",
    "lines",
    "discrepancies",
    "revenue_leaking",
    "over_billing_risk",
    "unmapped_spend",
    "billed_revenue",
    "checked_revenue",
]
RUN_LINE_COLUMNS = [
    "line_id",
    "company_id",
    "company_name",
    "service_id",
    "service_name",
    "status",
    "billed_quantity",
    "expected_quantity",
    "billed_revenue",
    "revenue_impact",
]
TREND_COLUMNS = [
    "period",
    "service_id",
    "service_name",
    "billed_quantity",
    "used_quantity",
    "billed_revenue",
]

#: How long a writer waits for another writer before giving up (milliseconds).
BUSY_TIMEOUT_MS = 30_000

#: Ordered schema migrations: ``MIGRATIONS[n]`` takes a file from version ``n`` to ``n + 1``.
MIGRATIONS: tuple[str, ...] = (
    # 1: the decisions, one row per act.
    """
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        period TEXT NOT NULL,
        line_id TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'adjust', 'dismiss', 'clear')),
        quantity TEXT,
        note TEXT NOT NULL DEFAULT '',
        who TEXT NOT NULL,
        decided_at TEXT NOT NULL
    );
    CREATE INDEX decisions_by_line ON decisions (period, line_id, id);
    """,
    # 2: what the line looked like when decided, and the record of every run.
    """
    ALTER TABLE decisions ADD COLUMN snapshot TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        period TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        who TEXT NOT NULL,
        inputs TEXT NOT NULL,
        lines INTEGER NOT NULL,
        discrepancies INTEGER NOT NULL,
        revenue_leaking TEXT NOT NULL,
        over_billing_risk TEXT NOT NULL,
        unmapped_spend TEXT NOT NULL,
        billed_revenue TEXT NOT NULL,
        checked_revenue TEXT NOT NULL
    );
    CREATE INDEX runs_by_period ON runs (period, id);
    CREATE TABLE run_lines (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        line_id TEXT NOT NULL,
        company_id TEXT NOT NULL,
        company_name TEXT NOT NULL,
        service_id TEXT NOT NULL,
        service_name TEXT NOT NULL,
        status TEXT NOT NULL,
        billed_quantity TEXT NOT NULL,
        expected_quantity TEXT,
        billed_revenue TEXT NOT NULL,
        revenue_impact TEXT NOT NULL,
        PRIMARY KEY (run_id, line_id)
    );
    CREATE INDEX run_lines_by_company ON run_lines (company_id, run_id);
    """,
    # 3: who changed the mappings workbook, when, and what.
    """
    CREATE TABLE mapping_edits (
        id INTEGER PRIMARY KEY,
        edited_at TEXT NOT NULL,
        who TEXT NOT NULL,
        summary TEXT NOT NULL,
        previous_version TEXT NOT NULL
    );
    """,
    # 4: every change sent to a PSA (workbench push), with the id the PSA gave it.
    """
    CREATE TABLE pushes (
        id INTEGER PRIMARY KEY,
        period TEXT NOT NULL,
        psa TEXT NOT NULL,
        line_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        request TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
        psa_id TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        who TEXT NOT NULL,
        pushed_at TEXT NOT NULL
    );
    CREATE INDEX pushes_by_line ON pushes (period, psa, line_id, id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class Decision(StrEnum):
    """What a reviewer decided about a line for one period."""

    APPROVE = "approve"  # bill what the vendors show (the expected quantity)
    ADJUST = "adjust"  # bill a quantity the reviewer sets
    DISMISS = "dismiss"  # leave billing as it is, for this period only
    #: Back to pending; written by :meth:`Ledger.clear` and seen only in :meth:`Ledger.history`.
    CLEAR = "clear"


#: The decisions a reviewer can make (a clear is an undo, not a decision).
DECISIONS = (Decision.APPROVE, Decision.ADJUST, Decision.DISMISS)


@dataclass(frozen=True)
class Decided:
    """One act in the ledger: a decision on a line, as it was made.

    Attributes
    ----------
    period
        The billing month, ``YYYY-MM``.
    line_id
        The reconciliation line (``company_id:service_id`` and so on).
    decision
        Approve, adjust or dismiss (or clear, in a line's history).
    quantity
        The quantity to bill, for an adjustment only.
    note
        The reviewer's note.
    who
        Who decided.
    decided_at
        When, ISO 8601 in UTC.
    snapshot
        The line as it was when decided (:data:`SNAPSHOT_FIELDS`, as text); empty for a clear.
    """

    period: str
    line_id: str
    decision: Decision
    quantity: Decimal | None
    note: str
    who: str
    decided_at: str
    snapshot: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    """One reviewer's choice on one line, for :meth:`Ledger.decide_all` (a row of a workbook).

    Attributes
    ----------
    line
        One row of :attr:`Reconciliation.lines`.
    decision
        ``approve``, ``adjust`` or ``dismiss``.
    quantity
        The quantity to bill, for ``adjust`` only.
    note
        The reviewer's note.
    """

    line: Mapping[str, Any]
    decision: Decision | str
    quantity: Decimal | int | str | None = None
    note: str = ""


@dataclass(frozen=True)
class MappingEdit:
    """One change to the mappings workbook, as recorded.

    Attributes
    ----------
    edited_at
        When, ISO 8601 in UTC.
    who
        Who made it (the dashboard's login, or the name its person gave).
    summary
        What changed: "Mapped Contoso Ltd (Microsoft) to Contoso Limited".
    previous_version
        The workbook as it was, kept in ``mappings.history/`` (relative to the workspace).
    """

    edited_at: str
    who: str
    summary: str
    previous_version: str


@dataclass(frozen=True)
class Pushed:
    """One request ``workbench push`` sent to a PSA for a line, and what came of it.

    Attributes
    ----------
    period, psa, line_id
        The month, the PSA (``autotask``) and the reconciliation line.
    kind
        ``change`` (a service on a contract) or ``new line``.
    request
        What was sent: ``method``, ``url`` and ``body`` (never a credential).
    status
        ``sent`` (the PSA took it: :attr:`psa_id` is its id there) or ``failed``.
    psa_id
        The id the PSA gave what was created.
    error
        Why it failed (one line), for a failure.
    who, pushed_at
        Who sent it, and when (ISO 8601 UTC).
    """

    period: str
    psa: str
    line_id: str
    kind: str
    request: dict[str, Any]
    status: str
    psa_id: str
    error: str
    who: str
    pushed_at: str


def ledger_path(workspace: Workspace) -> Path:
    """The workspace's ledger file, ``<workspace root>/ledger.sqlite``."""
    return workspace.root / LEDGER_FILE


def ledger_to_read(workspace: Workspace) -> Path:
    """The ledger a review is read from: the workspace's file, or before its first decision an
    empty ledger in memory, which gives the same review (every line pending) without creating
    ``ledger.sqlite`` just by looking."""
    path = ledger_path(workspace)
    return path if path.exists() else Path(":memory:")


class Ledger:
    """An open ledger file. Open it with :meth:`open`; close it, or use it as a context manager.

    Examples
    --------
    >>> with Ledger.open(ledger_path(workspace)) as ledger:  # doctest: +SKIP
    ...     ledger.decide("2026-10", line, "approve", who="dana")
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._connection = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """Open a ledger file, creating it or bringing an older file up to the current schema.

        Raises
        ------
        WorkbenchError
            If the folder does not exist, the file is not a ledger, or a newer workbench wrote it.
        """
        path = Path(path)
        if not path.parent.is_dir():
            raise WorkbenchError(
                f"cannot open the ledger {path}: the folder {path.parent} does not exist"
            )
        try:
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise WorkbenchError(f"cannot open the ledger {path}: {exc}") from exc
        ledger = cls(connection, path)
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA foreign_keys = ON")
            ledger._migrate()  # first, so another program's database is refused untouched
            connection.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            connection.close()
            raise WorkbenchError(
                f"cannot open the ledger {path} ({exc}): check that you may write the file and "
                "its folder, and that no other program holds it"
            ) from exc
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise WorkbenchError(
                f"{path} is not a decisions ledger ({exc}); move it aside and open it again"
            ) from exc
        except WorkbenchError:
            connection.close()
            raise
        return ledger

    def _migrate(self) -> None:
        if self.schema_version == SCHEMA_VERSION:
            return  # the usual case: no write lock needed just to open
        with self._writing() as cursor:
            # Read again under the lock: another process may have migrated meanwhile.
            version = int(cursor.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise WorkbenchError(
                    f"{self.path} was written by a newer workbench (schema {version}, this one "
                    f"knows up to {SCHEMA_VERSION}); upgrade the workbench to open it"
                )
            if version == 0 and cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise WorkbenchError(
                    f"{self.path} is another program's database, not a decisions ledger; "
                    "move it aside and open it again"
                )
            for step in range(version, SCHEMA_VERSION):
                # executescript would commit the open transaction; run statement by statement.
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        cursor.execute(statement)
                cursor.execute(f"PRAGMA user_version = {step + 1}")

    @property
    def schema_version(self) -> int:
        return int(self._connection.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Cursor]:
        """One short write transaction, taking the write lock at once so writers queue."""
        cursor = self._connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    # Pushes to the PSA ----------------------------------------------------------------------

    def record_push(
        self,
        period: str,
        psa: str,
        line_id: str,
        kind: str,
        request: Mapping[str, Any],
        *,
        who: str,
        psa_id: str = "",
        error: str = "",
    ) -> Pushed:
        """Record one request sent to a PSA: sent (with the id the PSA gave) or failed.

        Each is its own transaction, written as soon as the PSA answered, so a push stopped
        part-way keeps what it sent.
        """
        if bool(psa_id) == bool(error):
            raise ValueError("a push is either sent (with the PSA's id) or failed (with why)")
        pushed = Pushed(
            period=check_period(period),
            psa=psa,
            line_id=_line_id(line_id),
            kind=kind,
            request=dict(request),
            status="sent" if psa_id else "failed",
            psa_id=psa_id,
            error=error,
            who=_who(who),
            pushed_at=_now(),
        )
        with self._writing() as cursor:
            cursor.execute(
                "INSERT INTO pushes (period, psa, line_id, kind, request, status, psa_id, "
                "error, who, pushed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    pushed.period,
                    pushed.psa,
                    pushed.line_id,
                    pushed.kind,
                    json.dumps(pushed.request, default=str),
                    pushed.status,
                    pushed.psa_id,
                    pushed.error,
                    pushed.who,
                    pushed.pushed_at,
                ),
            )
        return pushed

    def pushes(self, period: str, psa: str | None = None) -> list[Pushed]:
        """Every request pushed for a period (to one PSA, if given), oldest first."""
        rows = self._connection.execute(
            "SELECT period, psa, line_id, kind, request, status, psa_id, error, who, pushed_at "
            "FROM pushes WHERE period = ? AND (? IS NULL OR psa = ?) ORDER BY id",
            (period, psa, psa),
        ).fetchall()
        return [
            Pushed(row[0], row[1], row[2], row[3], json.loads(row[4]), *row[5:]) for row in rows
        ]

    def sent(self, period: str, psa: str) -> dict[str, Pushed]:
        """The lines of a period a PSA has taken a change for, each with what was sent."""
        return {each.line_id: each for each in self.pushes(period, psa) if each.status == "sent"}

    # Mapping edits -------------------------------------------------------------------------

    @contextmanager
    def recording_mapping_edit(self, *, who: str) -> Iterator[Callable[[str, str], None]]:
        """Record a change to the mappings workbook if, and only if, the block completes.

        The block gets a function ``record(summary, previous_version)`` to call once the
        workbook is replaced; the ledger's write lock is held meanwhile, and an error in the
        block records nothing.
        """
        name = _who(who)
        with self._writing() as cursor:

            def record(summary: str, previous_version: str) -> None:
                cursor.execute(
                    "INSERT INTO mapping_edits (edited_at, who, summary, previous_version) "
                    "VALUES (?, ?, ?, ?)",
                    (_now(), name, summary, previous_version),
                )

            yield record

    def mapping_edits(self) -> list[MappingEdit]:
        """Every recorded change to the mappings workbook, oldest first."""
        rows = self._connection.execute(
            "SELECT edited_at, who, summary, previous_version FROM mapping_edits ORDER BY id"
        ).fetchall()
        return [MappingEdit(*row) for row in rows]

    # Decisions -----------------------------------------------------------------------------

    def decide(
        self,
        period: str,
        line: Mapping[str, Any],
        decision: Decision | str,
        *,
        quantity: Decimal | int | str | None = None,
        note: str = "",
        who: str,
    ) -> Decided:
        """Record a decision on one reconciliation line.

        Parameters
        ----------
        period
            The billing month, ``YYYY-MM``.
        line
            One row of :attr:`Reconciliation.lines` (a dict or a pandas row).
        decision
            ``approve``, ``adjust`` or ``dismiss``.
        quantity
            The quantity to bill: required for ``adjust`` (0 or more), refused otherwise.
        note, who
            The reviewer's note and name.

        Raises
        ------
        WorkbenchError
            For an unknown decision, an adjustment without a valid quantity, a quantity on an
            approval or dismissal, or a missing reviewer name.
        """
        act = _act(period, line, decision, quantity, note, who)
        with self._writing() as cursor:
            _insert(cursor, act)
        return act

    def decide_many(
        self,
        period: str,
        lines: Iterable[Mapping[str, Any]],
        decision: Decision | str,
        *,
        note: str = "",
        who: str,
    ) -> list[Decided]:
        """Record the same decision on many lines at once, in one transaction (all or none).

        An adjustment needs a quantity per line, so it is made line by line with :meth:`decide`.
        """
        if _decision(decision) == Decision.ADJUST:
            raise WorkbenchError(
                "an adjustment needs its own quantity for each line: adjust lines one at a time"
            )
        acts = [_act(period, line, decision, None, note, who) for line in lines]
        with self._writing() as cursor:
            for act in acts:
                _insert(cursor, act)
        return acts

    def decide_all(
        self,
        period: str,
        choices: Iterable[Choice],
        *,
        clears: Iterable[str] = (),
        who: str,
    ) -> list[Decided]:
        """Record different decisions on many lines, and take the ``clears`` line ids back to
        pending, in one transaction: all of it, or nothing if any is wrong (the error names the
        line), as when a reviewed workbook is read back."""
        acts = [
            _act(period, choice.line, choice.decision, choice.quantity, choice.note, who)
            for choice in choices
        ]
        cleared = [_clear(period, line_id, who) for line_id in clears]
        with self._writing() as cursor:
            for act in [*acts, *cleared]:
                _insert(cursor, act)
        return acts

    def clear(self, period: str, line_id: str, *, who: str) -> None:
        """Take a line back to pending. The clear is a row too, so the history keeps it."""
        act = _clear(period, line_id, who)
        with self._writing() as cursor:
            _insert(cursor, act)

    def decisions(self, period: str) -> dict[str, Decided]:
        """The decision in force per line id for a period (cleared lines left out)."""
        rows = self._connection.execute(
            """
            SELECT period, line_id, decision, quantity, note, who, decided_at, snapshot
            FROM decisions
            WHERE id IN (SELECT max(id) FROM decisions WHERE period = ? GROUP BY line_id)
            ORDER BY line_id
            """,
            (check_period(period),),
        ).fetchall()
        current = (_decided(row) for row in rows)
        return {act.line_id: act for act in current if act.decision != Decision.CLEAR}

    def history(self, period: str, line_id: str) -> list[Decided]:
        """Every act on one line in a period, oldest first, clears included."""
        rows = self._connection.execute(
            """
            SELECT period, line_id, decision, quantity, note, who, decided_at, snapshot
            FROM decisions WHERE period = ? AND line_id = ? ORDER BY id
            """,
            (check_period(period), line_id),
        ).fetchall()
        return [_decided(row) for row in rows]

    def review(self, result: Reconciliation) -> pd.DataFrame:
        """The lines of a reconciliation that need a decision, with the decision on each.

        Returns
        -------
        pandas.DataFrame
            The lines whose status is in :data:`REVIEW_STATUSES` (all line columns) plus
            :data:`REVIEW_COLUMNS`. ``state`` is ``pending`` (never decided, or cleared),
            ``decided`` (decided, and the line is as it was then) or ``changed`` (decided, but
            the status, billed or expected quantity has moved since: it needs deciding again).
            ``decision``, ``quantity``, ``note``, ``who`` and ``decided_at`` hold the latest
            decision for ``decided`` and ``changed`` lines (for a changed line, what was decided
            before), and ``""`` / ``None`` for pending ones. Sorted by money at stake (absolute
            revenue impact) descending, then line id.
        """
        lines = result.lines[result.lines["status"].isin(REVIEW_STATUSES)]
        current = self.decisions(result.period)
        columns: dict[str, list[Any]] = {name: [] for name in REVIEW_COLUMNS}
        for line in _records(lines):
            act = current.get(str(line["line_id"]))
            if act is None:
                state = "pending"
            elif _moved(act.snapshot, _snapshot(line)):
                state = "changed"
            else:
                state = "decided"
            columns["decision"].append(str(act.decision) if act else "")
            columns["quantity"].append(act.quantity if act else None)
            columns["note"].append(act.note if act else "")
            columns["who"].append(act.who if act else "")
            columns["decided_at"].append(act.decided_at if act else "")
            columns["state"].append(state)
        table = lines.reset_index(drop=True)
        for name in REVIEW_COLUMNS:
            table[name] = pd.Series(columns[name], dtype=object, index=table.index)
        stake = table["revenue_impact"].map(lambda value: abs(value) if value is not None else ZERO)
        order = sorted(
            range(len(table)), key=lambda i: (-stake.iloc[i], str(table["line_id"].iloc[i]))
        )
        return table.iloc[order].reset_index(drop=True)

    # Runs ----------------------------------------------------------------------------------

    def record_run(self, result: Reconciliation, *, inputs: Mapping[str, str], who: str) -> int:
        """Record one reconciliation run: its input checksums, totals and every line.

        Parameters
        ----------
        result
            The reconciliation the run produced.
        inputs
            The input files read, ``{file: sha256}``.
        who
            Who ran it.

        Returns
        -------
        int
            The run's id.
        """
        summary = result.summary()
        line_rows = [
            (
                str(line["line_id"]),
                str(line["company_id"]),
                str(line["company_name"]),
                str(line["service_id"]),
                str(line["service_name"]),
                str(line["status"]),
                _text(line["billed_quantity"]),
                _text(line["expected_quantity"]) or None,
                str(_billed_revenue(line)),
                str(line["revenue_impact"]),
            )
            for line in _records(result.lines)
        ]
        with self._writing() as cursor:
            cursor.execute(
                """
                INSERT INTO runs (period, recorded_at, who, inputs, lines, discrepancies,
                    revenue_leaking, over_billing_risk, unmapped_spend, billed_revenue,
                    checked_revenue)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    check_period(result.period),
                    _now(),
                    _who(who),
                    json.dumps(dict(sorted(inputs.items()))),
                    summary.lines,
                    summary.discrepancies,
                    str(summary.revenue_leaking),
                    str(summary.over_billing_risk),
                    str(summary.unmapped_spend),
                    str(summary.billed_revenue),
                    str(summary.checked_revenue),
                ),
            )
            run_id = cursor.lastrowid
            assert run_id is not None  # an INSERT into a rowid table always sets it
            cursor.executemany(
                "INSERT INTO run_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, *row) for row in line_rows],
            )
        return run_id

    def runs(self, period: str | None = None) -> pd.DataFrame:
        """Recorded runs, oldest first (one period's, or all): :data:`RUN_COLUMNS`.

        ``inputs`` is a dict ``{file: sha256}``; money columns are Decimals.
        """
        query = f"SELECT id, {', '.join(RUN_COLUMNS[1:])} FROM runs"
        parameters: tuple[str, ...] = ()
        if period is not None:
            query += " WHERE period = ?"
            parameters = (check_period(period),)
        rows = self._connection.execute(query + " ORDER BY id", parameters).fetchall()
        table = pd.DataFrame(rows, columns=RUN_COLUMNS)
        table["inputs"] = table["inputs"].map(json.loads)
        for name in RUN_COLUMNS[7:]:
            table[name] = table[name].map(Decimal)
        for name in ("run_id", "lines", "discrepancies"):
            table[name] = table[name].astype("int64")
        return table

    def run_lines(self, run_id: int) -> pd.DataFrame:
        """The lines a run recorded, in line id order: :data:`RUN_LINE_COLUMNS`.

        Quantities and money are Decimals (``expected_quantity`` ``None`` where not measured).
        """
        rows = self._connection.execute(
            f"SELECT {', '.join(RUN_LINE_COLUMNS)} FROM run_lines WHERE run_id = ? ORDER BY line_id",
            (run_id,),
        ).fetchall()
        table = pd.DataFrame(rows, columns=RUN_LINE_COLUMNS)
        for name in ("billed_quantity", "expected_quantity", "billed_revenue", "revenue_impact"):
            table[name] = table[name].map(lambda text: None if text is None else Decimal(text))
        return table

    def billed_vs_used(self, company_id: str) -> pd.DataFrame:
        """A client's billed against used quantities per period, for its trend.

        One row per ``(period, service_id, service_name)`` from the latest run of each period
        (:data:`TREND_COLUMNS`), oldest period first. Only the client's service lines count:
        bundle components and unmapped SKUs have no billed quantity of their own. Quantities
        are Decimals; ``used_quantity`` is ``None`` where no usage source checks the service.
        """
        rows = self._connection.execute(
            """
            SELECT runs.period, run_lines.service_id, run_lines.service_name,
                   run_lines.billed_quantity, run_lines.expected_quantity,
                   run_lines.billed_revenue
            FROM run_lines JOIN runs ON runs.id = run_lines.run_id
            WHERE run_lines.company_id = ?
              AND run_lines.line_id = run_lines.company_id || ':' || run_lines.service_id
              AND runs.id IN (SELECT max(id) FROM runs GROUP BY period)
            ORDER BY runs.period, run_lines.service_name, run_lines.service_id
            """,
            (company_id,),
        ).fetchall()
        return pd.DataFrame(
            [
                (
                    period,
                    service_id,
                    service_name,
                    Decimal(billed),
                    None if used is None else Decimal(used),
                    Decimal(revenue),
                )
                for period, service_id, service_name, billed, used, revenue in rows
            ],
            columns=TREND_COLUMNS,
        )


def _decision(decision: Decision | str) -> Decision:
    text = str(decision).strip().lower()
    if text not in {str(known) for known in DECISIONS}:
        if text == Decision.CLEAR:
            raise WorkbenchError(
                "to take a line back to pending use clear, not a decision of 'clear'"
            )
        choices = ", ".join(str(known) for known in DECISIONS)
        raise WorkbenchError(f"unknown decision {str(decision)!r}: choose one of {choices}")
    return Decision(text)


def _quantity(decision: Decision, quantity: Decimal | int | str | None, named: str) -> Any:
    if decision != Decision.ADJUST:
        if quantity is not None and str(quantity).strip() != "":
            raise WorkbenchError(
                f"{named}: a quantity goes with an adjustment only; to bill "
                f"{quantity} choose adjust, or leave the quantity empty to {decision}"
            )
        return None
    if isinstance(quantity, bool) or quantity is None or str(quantity).strip() == "":
        raise WorkbenchError(
            f"{named}: an adjustment needs the quantity to bill (a number, 0 or more)"
        )
    try:
        value = Decimal(str(quantity).strip())
    except InvalidOperation:
        raise WorkbenchError(
            f"{named}: adjusted quantity {quantity!r} is not a number; "
            "enter the quantity to bill, 0 or more"
        ) from None
    if (
        not value.is_finite()
        or value < 0
        or value != value.to_integral_value()
        or value >= MAX_COUNT
    ):
        # Services bill whole units: 2.5 would reach the PSA as a unit change of -29.5.
        raise WorkbenchError(
            f"{named}: adjusted quantity {quantity} cannot be billed; "
            f"enter the quantity to bill: whole units, 0 or more and below {MAX_COUNT:,}"
        )
    return value.quantize(Decimal(1))


def _who(who: str) -> str:
    if not str(who).strip():
        raise WorkbenchError("say who decided: the reviewer's name is required")
    return str(who).strip()


def _line_id(line_id: object) -> str:
    text = _text(line_id)
    if not text:
        raise WorkbenchError("the line has no line_id: pass a row of the reconciliation's lines")
    return text


def _act(
    period: str,
    line: Mapping[str, Any],
    decision: Decision | str,
    quantity: Decimal | int | str | None,
    note: str,
    who: str,
) -> Decided:
    line_id = _line_id(line.get("line_id"))
    named = _named(line, line_id)
    try:
        chosen = _decision(decision)
    except WorkbenchError as exc:
        raise WorkbenchError(f"{named}: {exc}") from None
    return Decided(
        period=check_period(period),
        line_id=line_id,
        decision=chosen,
        quantity=_quantity(chosen, quantity, named),
        note=str(note or "").strip(),
        who=_who(who),
        decided_at=_now(),
        snapshot=_snapshot(line),
    )


def _named(line: Mapping[str, Any], line_id: str) -> str:
    """A line as its reviewer knows it, ``Bluewater Logistics, Managed workstation``, in an
    error; its id only when the row names neither."""
    client, service = _text(line.get("company_name")), _text(line.get("service_name"))
    return f"{client}, {service}" if client and service else f"line {line_id}"


def _clear(period: str, line_id: str, who: str) -> Decided:
    return Decided(
        period=check_period(period),
        line_id=_line_id(line_id),
        decision=Decision.CLEAR,
        quantity=None,
        note="",
        who=_who(who),
        decided_at=_now(),
    )


def _insert(cursor: sqlite3.Cursor, act: Decided) -> None:
    cursor.execute(
        """
        INSERT INTO decisions (period, line_id, decision, quantity, note, who, decided_at,
            snapshot)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            act.period,
            act.line_id,
            str(act.decision),
            None if act.quantity is None else str(act.quantity),
            act.note,
            act.who,
            act.decided_at,
            json.dumps(act.snapshot, sort_keys=True),
        ),
    )


def _decided(row: tuple[Any, ...]) -> Decided:
    period, line_id, decision, quantity, note, who, decided_at, snapshot = row
    return Decided(
        period=period,
        line_id=line_id,
        decision=Decision(decision),
        quantity=None if quantity is None else Decimal(quantity),
        note=note,
        who=who,
        decided_at=decided_at,
        snapshot=json.loads(snapshot),
    )


def _snapshot(line: Mapping[str, Any]) -> dict[str, str]:
    return {name: _text(line.get(name)) for name in SNAPSHOT_FIELDS}


def _moved(before: Mapping[str, str], now: Mapping[str, str]) -> bool:
    if not before:
        return False  # decided before snapshots were kept (schema 1): the decision stands
    return any(before.get(name, "") != now.get(name, "") for name in COMPARED_FIELDS)


def _text(value: object) -> str:
    """A line's value as text that compares equal however the line travelled (int, numpy, NA)."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    if hasattr(value, "item") and not isinstance(value, str | Decimal):
        return _text(value.item())  # numpy scalars
    return str(value)


def _records(lines: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], lines.to_dict("records"))


def _billed_revenue(line: Mapping[str, Any]) -> Decimal:
    price = line.get("unit_price")
    if price is None or not line.get("billed_quantity"):
        return ZERO
    return to_cents(int(line["billed_quantity"]) * price)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
