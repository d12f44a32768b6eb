"""A workspace: one MSP's settings, mappings and monthly inputs.

Layout::

    workspace.toml                 name, currency; date_order (MDY or DMY) and decimal_mark
                                   ("." or ",") for files that do not show theirs; [billing]
                                   timing (advance or arrears) and prorate (see effective.py)
    profiles/*.toml                how to read vendors without a built-in importer
    mappings.xlsx                  customers, services, tolerances (edited in Excel, or in the
                                   dashboard's mapping review)
    mappings.history/              previous versions of mappings.xlsx, one per dashboard change
    periods/<YYYY-MM>/inputs/      that month's exports, any file names (or fetched ones)
    periods/<YYYY-MM>/fetch-log.jsonl
                                   what `workbench fetch` asked each system for, and when

``workspace.toml`` may say how to reach each system's API (``[fetch.<source>]``: its URLs and
the *name* its credentials are looked up by) and how patient to be with them (``[fetch]``).
It never holds a secret: credentials live in environment variables or the OS keyring
(:mod:`workbench.fetch.credentials`), and a key that looks like one is refused.
"""

from __future__ import annotations

import calendar
import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

import pandas as pd

from workbench.customer_links import read_links
from workbench.errors import InputError, WorkbenchError
from workbench.mapping import Mappings
from workbench.reconcile import reconcile
from workbench.result import Reconciliation
from workbench.sources import Inputs, read_inputs
from workbench.sources.profiles import workspace_formats

DATE_ORDERS = ("MDY", "DMY")

#: Systems ``workbench fetch`` can read (and, for the PSAs, ``workbench push`` write to).
FETCH_SOURCES = ("autotask", "connectwise", "microsoft", "datto_rmm", "huntress", "pax8")
#: What a ``[fetch.<source>]`` table may say besides its credentials' name: URLs and options.
CONNECTION_KEYS = (
    "base_url",
    "token_url",
    "zone_url",
    "audience",
    "currency",
)
#: Words in a key that mean a secret was written into the workspace.
_SECRET_WORDS = ("secret", "password", "private", "token", "api_key", "apikey", "code")


class Timing(StrEnum):
    """When a period is invoiced: at its start (advance) or at its end (arrears)."""

    ADVANCE = "advance"
    ARREARS = "arrears"


@dataclass(frozen=True)
class BillingSettings:
    """The ``[billing]`` table of ``workspace.toml``.

    Attributes
    ----------
    timing
        Advance (a change starts on the first day of the next period) or arrears (within the
        period under review).
    prorate
        Whether a mid-period change is billed from the vendor's change date.
    """

    timing: Timing = Timing.ADVANCE
    prorate: bool = False

    @classmethod
    def from_table(cls, table: object, settings_file: str | Path) -> BillingSettings:
        """Read the ``[billing]`` table (missing: advance, no proration).

        Raises
        ------
        InputError
            Naming the file and the key, for an unknown key or a value of the wrong kind.
        """
        if table is None:
            return cls()
        if not isinstance(table, dict):
            raise InputError(
                settings_file,
                "billing is not a table",
                expected='a [billing] table with timing = "advance" and prorate = false',
            )
        unknown = sorted(set(table) - {"timing", "prorate"})
        if unknown:
            raise InputError(
                settings_file,
                f"[billing] has an unknown key {unknown[0]!r}",
                expected="only timing and prorate",
            )
        timing = table.get("timing", Timing.ADVANCE.value)
        if timing not in {member.value for member in Timing}:
            raise InputError(
                settings_file,
                f"[billing] timing {timing!r} is not known",
                expected='timing = "advance" (changes start next period) or "arrears" '
                "(changes start within the period)",
            )
        prorate = table.get("prorate", False)
        if not isinstance(prorate, bool):
            raise InputError(
                settings_file,
                f"[billing] prorate {prorate!r} is not true or false",
                expected="prorate = true or prorate = false, without quotes",
            )
        return cls(timing=Timing(timing), prorate=prorate)


@dataclass(frozen=True)
class HttpSettings:
    """The ``[fetch]`` table of ``workspace.toml``: how patient to be with the systems' APIs.

    Attributes
    ----------
    timeout
        Seconds to wait for an answer before trying again.
    retries
        Tries after the first, on a timeout, a lost connection, a 5xx answer or a 429.
    backoff
        Seconds before the first retry; doubled before each next one.
    max_wait
        The longest wait a 429's ``Retry-After`` (or an export still running) is honoured for;
        a longer one ends the fetch with a message, instead of hanging.
    poll_interval
        Seconds between two looks at a running export (Microsoft's), when it does not say.
    """

    timeout: float = 60.0
    retries: int = 4
    backoff: float = 2.0
    max_wait: float = 300.0
    poll_interval: float = 10.0

    @classmethod
    def from_table(cls, table: dict[str, object], settings_file: Path) -> HttpSettings:
        """Read the numbers of the ``[fetch]`` table (its sub-tables are connections)."""
        values: dict[str, float] = {}
        for name in ("timeout", "retries", "backoff", "max_wait", "poll_interval"):
            if name not in table:
                continue
            value = table[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InputError(
                    settings_file,
                    f"[fetch] {name} {value!r} is not a number of 0 or more",
                    expected=f"{name} = {getattr(cls, name)!r}",
                )
            values[name] = value
        return cls(
            timeout=float(values.get("timeout", cls.timeout)),
            retries=int(values.get("retries", cls.retries)),
            backoff=float(values.get("backoff", cls.backoff)),
            max_wait=float(values.get("max_wait", cls.max_wait)),
            poll_interval=float(values.get("poll_interval", cls.poll_interval)),
        )


@dataclass(frozen=True)
class Connection:
    """A ``[fetch.<source>]`` table: how to reach one system's API.

    Attributes
    ----------
    source
        One of :data:`FETCH_SOURCES`.
    credentials
        The name the secrets are looked up by, in environment variables or the OS keyring
        (:func:`workbench.fetch.credentials.lookup`); the source's name unless given.
    settings
        URLs and options (:data:`CONNECTION_KEYS`), as text.
    """

    source: str
    credentials: str
    settings: dict[str, str] = field(default_factory=dict, hash=False)


def _connections(table: dict[str, object], settings_file: Path) -> dict[str, Connection]:
    """The ``[fetch.<source>]`` tables, checked: known sources, known keys, no secrets."""
    connections = {}
    for source, entry in table.items():
        if not isinstance(entry, dict):
            continue
        if source not in FETCH_SOURCES:
            raise InputError(
                settings_file,
                f"[fetch.{source}] is not a system the workbench can fetch from",
                expected=f"one of {', '.join(FETCH_SOURCES)}",
            )
        for key, value in entry.items():
            if key in CONNECTION_KEYS or key == "credentials":
                if not isinstance(value, str):
                    raise InputError(
                        settings_file,
                        f"[fetch.{source}] {key} {value!r} is not text",
                        expected=f'{key} = "..." in quotes',
                    )
                continue
            if any(word in key.casefold() for word in _SECRET_WORDS):
                raise InputError(
                    settings_file,
                    f"[fetch.{source}] {key} looks like a secret, and secrets never go in "
                    "workspace.toml (it is copied and backed up with the workspace)",
                    expected=f'credentials = "{source}" naming secrets kept in environment '
                    "variables or the OS keyring (see the README, Fetch and push)",
                )
            raise InputError(
                settings_file,
                f"[fetch.{source}] has an unknown key {key!r}",
                expected=f"credentials or one of {', '.join(CONNECTION_KEYS)}",
            )
        settings = {key: str(value) for key, value in entry.items() if key != "credentials"}
        connections[source] = Connection(
            source, str(entry.get("credentials", source)) or source, settings
        )
    return connections


@dataclass(frozen=True)
class Workspace:
    root: Path
    name: str
    currency: str
    date_order: str = "MDY"
    decimal_mark: str = "."
    billing: BillingSettings = field(default_factory=BillingSettings)
    #: How patient ``workbench fetch`` and ``push`` are with the APIs (``[fetch]``).
    http: HttpSettings = field(default_factory=HttpSettings)
    #: How to reach each system's API, by source (``[fetch.<source>]``).
    connections: dict[str, Connection] = field(default_factory=dict, hash=False)

    @classmethod
    def open(cls, root: str | Path) -> Workspace:
        root = Path(root).resolve()
        settings_file = root / "workspace.toml"
        if not settings_file.exists():
            raise WorkbenchError(f"{root} is not a workspace: workspace.toml is missing")
        try:
            document = tomllib.loads(settings_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(settings_file, f"not valid TOML ({exc})") from exc
        settings = document.get("workspace", {})
        fetch = document.get("fetch", {})
        if not isinstance(fetch, dict):
            raise InputError(
                settings_file, "fetch is not a table", expected="a [fetch] table, or none"
            )
        date_order = str(settings.get("date_order", "MDY")).upper()
        if date_order not in DATE_ORDERS:
            raise InputError(
                settings_file,
                f"date_order {date_order!r} is not known",
                expected='date_order = "MDY" (10/31/2026) or "DMY" (31/10/2026)',
            )
        decimal_mark = str(settings.get("decimal_mark", "."))
        if decimal_mark not in (".", ","):
            raise InputError(
                settings_file,
                f"decimal_mark {decimal_mark!r} is not known",
                expected='decimal_mark = "." (1,234.50) or "," (1.234,50)',
            )
        return cls(
            root=root,
            name=str(settings.get("name", root.name)),
            currency=str(settings.get("currency", "USD")),
            date_order=date_order,
            decimal_mark=decimal_mark,
            billing=BillingSettings.from_table(document.get("billing"), settings_file),
            http=HttpSettings.from_table(fetch, settings_file),
            connections=_connections(fetch, settings_file),
        )

    @property
    def mappings_file(self) -> Path:
        return self.root / "mappings.xlsx"

    def periods(self) -> list[str]:
        """Periods that have inputs, oldest first."""
        folder = self.root / "periods"
        return (
            sorted(p.name for p in folder.iterdir() if (p / "inputs").is_dir())
            if folder.is_dir()
            else []
        )

    def period_folder(self, period: str) -> Path:
        """``periods/<YYYY-MM>`` of a period (checked to be a month), whether it exists or not."""
        return self.root / "periods" / check_period(period)

    def inputs_folder(self, period: str) -> Path:
        folder = self.root / "periods" / check_period(period) / "inputs"
        if not folder.is_dir():
            known = ", ".join(self.periods()) or "none"
            raise WorkbenchError(
                f"no inputs for period {period} in {self.root} (periods with inputs: {known})"
            )
        return folder


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def new_workspace(root: str | Path, name: str, currency: str = "USD") -> Workspace:
    """Create an empty workspace from the templates: settings, a blank mappings workbook."""
    from workbench.mapping import mappings_book

    root = Path(root)
    if (root / "workspace.toml").exists():
        raise WorkbenchError(f"{root} is already a workspace: nothing was changed")
    root.mkdir(parents=True, exist_ok=True)
    settings = (TEMPLATES / "workspace.toml").read_text(encoding="utf-8")
    settings = settings.replace('name = "Your MSP"', f"name = {json.dumps(name)}")
    settings = settings.replace('currency = "USD"', f"currency = {json.dumps(currency)}")
    (root / "workspace.toml").write_text(settings, encoding="utf-8")
    mappings_book().save(root / "mappings.xlsx")
    (root / "periods").mkdir(exist_ok=True)
    return Workspace.open(root)


def check_period(period: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise WorkbenchError(
            f"period {period!r} is not a month written as YYYY-MM, such as 2026-10"
        )
    return period


def period_bounds(period: str) -> tuple[date, date]:
    year, month = (int(part) for part in check_period(period).split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def read_period_inputs(workspace: str | Path | Workspace, period: str) -> Inputs:
    """Read a workspace's inputs for a period, with its settings and import profiles."""
    if not isinstance(workspace, Workspace):
        workspace = Workspace.open(workspace)
    start, end = period_bounds(period)
    return read_inputs(
        workspace.inputs_folder(period),
        workspace.root,
        start,
        end,
        decimal_mark=workspace.decimal_mark,
        date_order=workspace.date_order,
        profiles=workspace_formats(workspace.root),
    )


def period_links(workspace: Workspace, inputs: Inputs) -> pd.DataFrame:
    """The identifiers the vendor customers of a period's inputs share across vendors, read
    from the exports the inputs were read from (:func:`workbench.customer_links.read_links`)."""
    return read_links(workspace.root, inputs.files, decimal_mark=workspace.decimal_mark)


def reconcile_workspace(
    workspace: str | Path | Workspace, period: str, inputs: Inputs | None = None
) -> Reconciliation:
    """Read a workspace's inputs (unless given, as read before) and mappings for a period and
    reconcile them."""
    if not isinstance(workspace, Workspace):
        workspace = Workspace.open(workspace)
    if inputs is None:
        inputs = read_period_inputs(workspace, period)
    mappings = Mappings.read(workspace.mappings_file)
    return reconcile(
        inputs,
        mappings,
        period=period,
        currency=workspace.currency,
        links=period_links(workspace, inputs),
    )
