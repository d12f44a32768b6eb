"""A workspace: one MSP's settings, mappings and monthly inputs.

Layout::

    workspace.toml                 name, currency; date_order (MDY or DMY) and decimal_mark
                                   ("." or ",") for files that do not show theirs; [billing]
                                   timing (advance or arrears) and prorate (see effective.py)
    profiles/*.toml                how to read vendors without a built-in importer
    mappings.xlsx                  customers, services, tolerances (edited in Excel, or in the
                                   dashboard's mapping review)
    mappings.history/              previous versions of mappings.xlsx, one per dashboard change
    periods/<YYYY-MM>/inputs/      that month's exports, any file names
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
class Workspace:
    root: Path
    name: str
    currency: str
    date_order: str = "MDY"
    decimal_mark: str = "."
    billing: BillingSettings = field(default_factory=BillingSettings)

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
