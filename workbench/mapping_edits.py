"""Changing the mappings workbook on a person's decision (the dashboard's mapping review).

Four edits, each touching the rows of one vendor customer or one vendor SKU, and one that
confirms several suggestions at once:

* :func:`map_customer`: a vendor customer belongs to a PSA company (a confirmed suggestion or
  a company chosen by hand);
* :func:`map_customers`: several vendor customers each belong to a PSA company (the suggestions
  a person confirmed together), saved as one change to the workbook and recorded in the ledger
  one customer at a time, each exactly as :func:`map_customer` records it;
* :func:`exclude_customer`: a vendor customer is left out on purpose, with a reason;
* :func:`map_sku`: a vendor SKU feeds a PSA service, with a factor;
* :func:`exclude_sku`: a vendor SKU is left out on purpose, with a reason.

``mappings.xlsx`` is also edited by hand in Excel, so every edit is saved the same careful way:

1. Refused while Excel or LibreOffice has the workbook open (their lock files ``~$mappings.xlsx``
   and ``.~lock.mappings.xlsx#`` sit next to it), and when any sheet holds a formula, whose
   result openpyxl cannot keep.
2. Opened with openpyxl and changed cell by cell: every other sheet (known or not), row, style,
   width and filter stays as it was. Text is stored as text (an id "0042" stays "0042", a name
   starting with "=" never becomes a formula).
3. Written to a temporary file in the same folder, read back with
   :meth:`~workbench.mapping.Mappings.read` and compared with the workbook before: everything
   it reads (every sheet) must be equal but the edited vendor customer or SKU, which must read
   back as intended.
4. The workbook as it was is kept in ``mappings.history/mappings-YYYYMMDD-HHMMSS.xlsx`` (local
   time of the change; ``-2``, ``-3``... when two changes fall in the same second). Nothing
   prunes that folder: every previous version stays until someone deletes it.
5. The temporary file replaces ``mappings.xlsx`` in one step (:func:`os.replace`), so a reader
   sees the old workbook or the new one, never half of one. If the file changed on disk while
   the edit was prepared, nothing is replaced.
6. Who made the change (``who``: the dashboard's login), when, what (one record per vendor
   customer or SKU changed) and the previous version are recorded in the ledger beside the
   workbook (the workspace's ``ledger.sqlite``,
   :meth:`~workbench.ledger.Ledger.mapping_edits`), under the ledger's write lock while the
   workbook is replaced: a change nobody can be named for is not made.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from workbench.errors import InputError, WorkbenchError
from workbench.formula_guard import put_text
from workbench.ledger import LEDGER_FILE, Ledger
from workbench.mapping import (
    CUSTOMER_HEADERS,
    SERVICE_HEADERS,
    VENDOR_TITLES,
    CustomerMapping,
    Mappings,
    ServiceMapping,
)
from workbench.sources.schemas import vendor_key

__all__ = [
    "HISTORY_FOLDER_SUFFIX",
    "CustomerChoice",
    "SavedEdit",
    "exclude_customer",
    "exclude_sku",
    "lock_files",
    "map_customer",
    "map_customers",
    "map_sku",
]

#: A bulk change's summary names this many customers, then how many more.
_NAMED_IN_SUMMARY = 5

#: Previous versions of ``mappings.xlsx`` go to ``mappings.history`` next to it.
HISTORY_FOLDER_SUFFIX = ".history"

_TEXT_FORMAT = "@"
_STYLE_ATTRIBUTES = ("font", "fill", "border", "alignment", "protection", "number_format")


@dataclass(frozen=True)
class SavedEdit:
    """A change saved to the mappings workbook.

    Attributes
    ----------
    summary
        What changed, in plain words: "Mapped Contoso Ltd (Microsoft) to Contoso Limited".
    workbook
        The mappings workbook that now holds the change.
    previous_version
        The copy of the workbook as it was before the change.
    who
        Who made the change, as the ledger records it.
    changes
        What the ledger recorded, one entry per vendor customer or SKU changed.
    """

    summary: str
    workbook: Path
    previous_version: Path
    who: str
    changes: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The summary with where the workbook and its previous version are."""
        kept = self.previous_version.relative_to(self.workbook.parent)
        return (
            f"{self.summary}; {self.workbook.name} saved, previous version kept in "
            f"{kept.as_posix()}."
        )


@dataclass(frozen=True)
class CustomerChoice:
    """A vendor customer and the PSA company a person chose for it (see :func:`map_customer`
    for each field)."""

    vendor: str
    customer_id: str
    customer_name: str
    company_id: str
    company_name: str


def map_customer(
    workbook: Path,
    *,
    vendor: str,
    customer_id: str,
    customer_name: str,
    company_id: str,
    company_name: str,
    who: str,
) -> SavedEdit:
    """Map a vendor customer to a PSA company (a confirmed suggestion or a chosen company).

    Every Customers row of this vendor and vendor customer ID (compared without case, as the
    reconciliation does) is updated: PSA company set, vendor customer name brought up to date,
    exclude reason cleared. Without such a row, one is added below the last.

    Parameters
    ----------
    workbook
        The workspace's ``mappings.xlsx``.
    vendor
        The vendor's key as the reconciliation names it (``microsoft``, ``datto_rmm``); written as
        its title (``Microsoft``, ``Datto RMM``).
    customer_id, customer_name
        The vendor's id and name of the customer.
    company_id, company_name
        The PSA company it belongs to.
    who
        Who makes the change (recorded in the ledger beside the workbook).

    Returns
    -------
    SavedEdit
        What was saved and where the previous version is.

    Raises
    ------
    WorkbenchError
        When the workbook is open in Excel, holds formulas, cannot be replaced, or the change
        would not read back as intended; nothing is changed then.
    """
    choice = CustomerChoice(vendor, customer_id, customer_name, company_id, company_name)
    return _edit_customers(workbook, [_mapped(choice)], who)


def map_customers(workbook: Path, choices: Sequence[CustomerChoice], *, who: str) -> SavedEdit:
    """Map several vendor customers, each to its PSA company, in one change to the workbook.

    Each customer's rows change as :func:`map_customer` changes them, and the ledger records
    each customer as :func:`map_customer` would, all with the one previous version kept. Either
    every customer is mapped or, when anything is wrong, none is.

    Parameters
    ----------
    workbook
        The workspace's ``mappings.xlsx``.
    choices
        The vendor customers and their companies; a customer may be named once.
    who
        Who makes the change (recorded in the ledger beside the workbook).

    Returns
    -------
    SavedEdit
        What was saved (``changes``: one summary per customer) and where the previous version
        is.

    Raises
    ------
    WorkbenchError
        As :func:`map_customer`, and when no customer or one customer twice is given.
    """
    if not choices:
        raise WorkbenchError("No vendor customer to map: nothing was changed")
    named = [(choice.vendor, _cell_text(choice.customer_id).casefold()) for choice in choices]
    if len(set(named)) != len(named):
        raise WorkbenchError("A vendor customer is named twice: nothing was changed")
    return _edit_customers(workbook, [_mapped(choice) for choice in choices], who)


def _mapped(choice: CustomerChoice) -> _CustomerEdit:
    company_id = choice.company_id.strip()
    if not company_id:
        raise WorkbenchError(
            f"Choose a PSA company for {choice.customer_name}: nothing was changed"
        )
    wanted = CustomerMapping(
        vendor=choice.vendor,
        customer_key=choice.customer_id.strip().casefold(),
        customer_name=choice.customer_name,
        company_id=company_id,
        company_name=choice.company_name,
    )
    values = {
        "Vendor customer name": choice.customer_name,
        "PSA company ID": company_id,
        "PSA company name": choice.company_name,
        "Exclude reason": "",
    }
    summary = (
        f"Mapped {choice.customer_name} ({_vendor_title(choice.vendor)}) to {choice.company_name}"
    )
    return _CustomerEdit(choice.vendor, choice.customer_id, values, wanted, summary)


def exclude_customer(
    workbook: Path, *, vendor: str, customer_id: str, customer_name: str, reason: str, who: str
) -> SavedEdit:
    """Exclude a vendor customer on purpose, with a reason (your own tenant, a lab).

    Every Customers row of this vendor and vendor customer ID gets the reason; a PSA company
    already on such a row stays written there (the reason wins when the workbook is read), so
    clearing the reason in Excel restores the mapping. Without such a row, one is added.

    Parameters
    ----------
    workbook, vendor, customer_id, customer_name, who
        As for :func:`map_customer`.
    reason
        Why the customer is left out; required.
    """
    reason = _required_reason(reason, customer_name)
    values = {"Vendor customer name": customer_name, "Exclude reason": reason}
    wanted = CustomerMapping(
        vendor=vendor,
        customer_key=customer_id.strip().casefold(),
        customer_name=customer_name,
        company_id="",
        company_name="",
        exclude_reason=reason,
    )
    summary = f"Excluded {customer_name} ({_vendor_title(vendor)}): {reason}"
    return _edit_customers(
        workbook, [_CustomerEdit(vendor, customer_id, values, wanted, summary)], who
    )


def map_sku(
    workbook: Path,
    *,
    vendor: str,
    sku: str,
    sku_name: str,
    service_id: str,
    service_name: str,
    factor: Decimal | int | str = 1,
    who: str,
) -> SavedEdit:
    """Map a vendor SKU to a PSA service, converting vendor units by ``factor``.

    One SKU may feed several services, so rows of this SKU naming other services stay as they
    are. The row of this vendor, SKU and service is updated if there is one; otherwise the
    first row of the SKU naming no service is filled in; otherwise a row is added. The row's
    exclude reason is cleared.

    Parameters
    ----------
    workbook
        The workspace's ``mappings.xlsx``.
    vendor
        The vendor's key (``microsoft``); written as its title.
    sku, sku_name
        The vendor's SKU (compared exactly, as the reconciliation does) and its name.
    service_id, service_name
        The PSA service it feeds.
    factor
        Service units per vendor unit: 1, or 0.01 for "per 100 GB". Text may use a decimal
        comma ("0,01").
    who
        Who makes the change (recorded in the ledger beside the workbook).
    """
    service_id = service_id.strip()
    if not service_id:
        raise WorkbenchError(f"Choose a PSA service for {sku_name or sku}: nothing was changed")
    amount = _factor(factor)
    sku = _cell_text(sku)

    def pick(sheet: _Sheet, rows: list[int]) -> list[int]:
        same = [row for row in rows if sheet.text(row, "PSA service ID") == service_id]
        blank = [row for row in rows if not sheet.text(row, "PSA service ID")]
        return (same or blank)[:1]

    values: dict[str, str | int | Decimal] = {
        "Vendor SKU name": sku_name,
        "PSA service ID": service_id,
        "PSA service name": service_name,
        "Factor": int(amount) if amount == amount.to_integral_value() else amount,
        "Exclude reason": "",
    }
    wanted = ServiceMapping(
        vendor=vendor,
        sku=sku,
        sku_name=sku_name,
        service_id=service_id,
        service_name=service_name,
        factor=Fraction(amount),
    )
    summary = f"Mapped {sku_name or sku} ({_vendor_title(vendor)}) to {service_name}" + (
        f" (factor {amount})" if amount != 1 else ""
    )
    return _edit_service(workbook, vendor, sku, pick, values, wanted, summary, who)


def exclude_sku(
    workbook: Path, *, vendor: str, sku: str, sku_name: str, reason: str, who: str
) -> SavedEdit:
    """Exclude a vendor SKU on purpose, with a reason (a free SKU, a trial).

    Every Services row of this vendor and SKU gets the reason (the services they name stay
    written there); without such a row, one is added.

    Parameters
    ----------
    workbook, vendor, sku, sku_name, who
        As for :func:`map_sku`.
    reason
        Why the SKU is left out; required.
    """
    reason = _required_reason(reason, sku_name or sku)
    sku = _cell_text(sku)

    def every(sheet: _Sheet, rows: list[int]) -> list[int]:
        return rows

    values: dict[str, str | int | Decimal] = {"Vendor SKU name": sku_name, "Exclude reason": reason}
    wanted = ServiceMapping(
        vendor=vendor,
        sku=sku,
        sku_name=sku_name,
        service_id="",
        service_name="",
        exclude_reason=reason,
    )
    summary = f"Excluded {sku_name or sku} ({_vendor_title(vendor)}): {reason}"
    return _edit_service(workbook, vendor, sku, every, values, wanted, summary, who)


def lock_files(workbook: Path) -> list[Path]:
    """The lock files next to ``workbook`` that say Excel or LibreOffice has it open."""
    candidates = (
        workbook.with_name(f"~${workbook.name}"),  # Excel's owner file
        workbook.with_name(f".~lock.{workbook.name}#"),  # LibreOffice
    )
    return [candidate for candidate in candidates if candidate.exists()]


# --- the edits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _CustomerEdit:
    """The values to write on one vendor customer's rows, and how they must read back."""

    vendor: str
    customer_id: str
    values: dict[str, str]
    wanted: CustomerMapping
    summary: str

    def intended(self, mapping: CustomerMapping) -> bool:
        if self.wanted.exclude_reason:  # an exclusion keeps whatever company the row named
            return mapping.exclude_reason == self.wanted.exclude_reason
        return (mapping.company_id, mapping.exclude_reason) == (self.wanted.company_id, "")


def _edit_customers(workbook: Path, edits: Sequence[_CustomerEdit], who: str) -> SavedEdit:
    keys = []
    for edit in edits:
        customer_id = _cell_text(edit.customer_id)
        if not customer_id:
            raise WorkbenchError(
                f"{edit.wanted.customer_name} has no vendor customer ID: nothing was changed"
            )
        keys.append((edit.vendor, customer_id.casefold()))
    by_key = dict(zip(keys, edits, strict=True))

    def change(book: openpyxl.Workbook) -> None:
        sheet = _Sheet(workbook, book, "Customers", CUSTOMER_HEADERS)
        rows: dict[tuple[str, str], list[int]] = {key: [] for key in keys}
        for row in sheet.rows():
            key = (
                vendor_key(sheet.text(row, "Vendor")),
                sheet.text(row, "Vendor customer ID").casefold(),
            )
            if key in rows:
                rows[key].append(row)
        for key, edit in by_key.items():
            if not rows[key]:
                rows[key] = [sheet.new_row()]
                sheet.put(
                    rows[key][0],
                    {
                        "Vendor": _vendor_title(edit.vendor),
                        "Vendor customer ID": _cell_text(edit.customer_id),
                    },
                )
            for row in rows[key]:
                # An id Excel stored as a number is rewritten as the same text.
                sheet.put(
                    row,
                    {"Vendor customer ID": sheet.text(row, "Vendor customer ID"), **edit.values},
                )

    def targeted(mapping: CustomerMapping) -> bool:
        return (mapping.vendor, mapping.customer_key) in by_key

    def others(mappings: Mappings) -> Mappings:
        return replace(mappings, customers=tuple(m for m in mappings.customers if not targeted(m)))

    def check(before: Mappings, after: Mappings) -> bool:
        edited: dict[tuple[str, str], list[CustomerMapping]] = {key: [] for key in keys}
        for mapping in after.customers:
            if targeted(mapping):
                edited[(mapping.vendor, mapping.customer_key)].append(mapping)
        return others(after) == others(before) and all(
            found and all(map(by_key[key].intended, found)) for key, found in edited.items()
        )

    return _save(workbook, change, check, [edit.summary for edit in edits], who)


def _edit_service(
    workbook: Path,
    vendor: str,
    sku: str,
    pick: Callable[[_Sheet, list[int]], list[int]],
    values: dict[str, str | int | Decimal],
    wanted: ServiceMapping,
    summary: str,
    who: str,
) -> SavedEdit:
    if not sku:
        raise WorkbenchError(f"{wanted.sku_name} has no vendor SKU: nothing was changed")

    def change(book: openpyxl.Workbook) -> None:
        sheet = _Sheet(workbook, book, "Services", SERVICE_HEADERS)
        rows = [
            row
            for row in sheet.rows()
            if vendor_key(sheet.text(row, "Vendor")) == vendor
            and sheet.text(row, "Vendor SKU") == sku
        ]
        chosen = pick(sheet, rows)
        if not chosen:
            chosen = [sheet.new_row()]
            sheet.put(chosen[0], {"Vendor": _vendor_title(vendor), "Vendor SKU": sku})
        for row in chosen:
            sheet.put(row, {"Vendor SKU": sku, **values})

    def targeted(mapping: ServiceMapping) -> bool:
        return mapping.vendor == vendor and mapping.sku == sku

    def others(mappings: Mappings) -> Mappings:
        return replace(mappings, services=tuple(m for m in mappings.services if not targeted(m)))

    def check(before: Mappings, after: Mappings) -> bool:
        edited = [m for m in after.services if targeted(m)]
        if wanted.exclude_reason:
            intended = bool(edited) and all(
                m.exclude_reason == wanted.exclude_reason for m in edited
            )
        else:
            intended = any(
                (m.service_id, m.factor, m.exclude_reason) == (wanted.service_id, wanted.factor, "")
                for m in edited
            )
        return others(after) == others(before) and intended

    return _save(workbook, change, check, [summary], who)


# --- saving --------------------------------------------------------------------------------


def _save(
    workbook: Path,
    change: Callable[[openpyxl.Workbook], None],
    check: Callable[[Mappings, Mappings], bool],
    summaries: Sequence[str],
    who: str,
) -> SavedEdit:
    """Apply ``change`` to the workbook and save it safely (see the module's docstring);
    ``summaries`` says what changed, one entry per vendor customer or SKU, each recorded."""
    if not who.strip():
        raise WorkbenchError(
            f"say who changes {workbook.name}: every change records its author; nothing was changed"
        )
    _refuse_when_open(workbook)
    before = Mappings.read(workbook)
    stamp = _stamp(workbook)
    book = _load(workbook)
    _refuse_formulas(workbook, book)
    change(book)
    temporary = _saved_beside(workbook, book)
    try:
        try:
            after = Mappings.read(temporary)
        except InputError as error:
            raise WorkbenchError(
                f"{workbook.name} was not changed: the edited workbook would not read back "
                f"({error})"
            ) from error
        if not check(before, after):
            raise WorkbenchError(
                f"{workbook.name} was not changed: the edited workbook would not read back as "
                "intended"
            )
        with (
            Ledger.open(workbook.parent / LEDGER_FILE) as ledger,
            ledger.recording_mapping_edit(who=who) as record,
        ):
            _refuse_when_open(workbook)
            if _stamp(workbook) != stamp:
                raise WorkbenchError(
                    f"{workbook.name} changed on disk while this change was being saved (was "
                    "it saved in Excel?); nothing was changed: try again"
                )
            previous = _keep_previous(workbook)
            _replace(workbook, temporary, previous)
            for summary in summaries:
                record(summary, previous.relative_to(workbook.parent).as_posix())
    finally:
        temporary.unlink(missing_ok=True)
    return SavedEdit(
        summary=_summary(summaries),
        workbook=workbook,
        previous_version=previous,
        who=who.strip(),
        changes=tuple(summaries),
    )


def _summary(summaries: Sequence[str]) -> str:
    """One change's summary as it is; several counted, the first few of them named."""
    if len(summaries) == 1:
        return summaries[0]
    named = "; ".join(summaries[:_NAMED_IN_SUMMARY])
    more = len(summaries) - _NAMED_IN_SUMMARY
    return f"{len(summaries)} changes: {named}" + (f"; and {more} more" if more > 0 else "")


def _saved_beside(workbook: Path, book: openpyxl.Workbook) -> Path:
    """Save ``book`` to a new hidden file in the workbook's folder (so replacing is atomic)."""
    try:
        handle, name = tempfile.mkstemp(
            dir=workbook.parent, prefix=f".{workbook.stem}-saving-", suffix=workbook.suffix
        )
    except OSError as error:
        raise WorkbenchError(
            f"{workbook.name} could not be saved: cannot write in {workbook.parent} ({error}); "
            "nothing was changed"
        ) from error
    os.close(handle)
    temporary = Path(name)
    try:
        book.save(temporary)
        shutil.copymode(workbook, temporary)  # mkstemp makes it private to this user
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise WorkbenchError(
            f"{workbook.name} could not be saved ({error}); nothing was changed"
        ) from error
    return temporary


def _replace(workbook: Path, temporary: Path, previous: Path) -> None:
    try:
        os.replace(temporary, workbook)
    except OSError as error:
        previous.unlink(missing_ok=True)  # the workbook did not change: nothing to keep
        if isinstance(error, PermissionError):
            raise WorkbenchError(
                f"{workbook.name} could not be replaced: it is probably open in Excel. "
                "Close it in Excel and try again; nothing was changed"
            ) from error
        raise WorkbenchError(
            f"{workbook.name} could not be replaced ({error}); nothing was changed"
        ) from error


def _refuse_when_open(workbook: Path) -> None:
    locks = lock_files(workbook)
    if locks:
        names = " and ".join(lock.name for lock in locks)
        raise WorkbenchError(
            f"{workbook.name} is open in Excel or LibreOffice ({names} is next to it), so "
            "nothing was changed. Close it in Excel and try again. (If no one has it open, "
            f"delete {names}: it was left behind by a program that closed abruptly.)"
        )


def _stamp(workbook: Path) -> tuple[int, int]:
    status = workbook.stat()
    return status.st_mtime_ns, status.st_size


def _load(workbook: Path) -> openpyxl.Workbook:
    try:
        return openpyxl.load_workbook(workbook)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputError(
            workbook, f"cannot be opened as an Excel workbook ({exc})", expected="an .xlsx file"
        ) from exc


def _refuse_formulas(workbook: Path, book: openpyxl.Workbook) -> None:
    """openpyxl saves formulas without their results, which the workbench reads: refuse them."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    raise WorkbenchError(
                        f"{workbook.name} has a formula in sheet {sheet.title!r}, cell "
                        f"{cell.coordinate}; the workbench cannot save a workbook with formulas "
                        "without losing their results, so nothing was changed. Replace the "
                        "formulas with their values in Excel (Copy, then Paste Special > Values) "
                        "or make this change in Excel."
                    )


def _keep_previous(workbook: Path) -> Path:
    """Copy the workbook as it is into its history folder, under a name that is not taken."""
    folder = workbook.with_name(workbook.stem + HISTORY_FOLDER_SUFFIX)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        folder.mkdir(exist_ok=True)
        for number in range(1, 1000):
            suffix = f"-{number}" if number > 1 else ""
            target = folder / f"{workbook.stem}-{stamp}{suffix}{workbook.suffix}"
            try:
                with workbook.open("rb") as source, target.open("xb") as copied:
                    shutil.copyfileobj(source, copied)
            except FileExistsError:
                continue
            shutil.copystat(workbook, target)
            return target
    except OSError as error:
        raise WorkbenchError(
            f"the previous version of {workbook.name} could not be kept in {folder} ({error}); "
            "nothing was changed"
        ) from error
    raise WorkbenchError(f"{folder} holds too many versions saved at {stamp}; try again")


# --- cells ---------------------------------------------------------------------------------


class _Sheet:
    """One mappings sheet, its columns found by header, for reading and writing rows."""

    def __init__(
        self, workbook: Path, book: openpyxl.Workbook, title: str, headers: tuple[str, ...]
    ) -> None:
        if title not in book.sheetnames:
            raise InputError(workbook, f"sheet {title!r} is missing", expected=f"a {title} sheet")
        self.sheet: Worksheet = book[title]
        header = [_cell_text(cell.value) for cell in self.sheet[1]]
        self.columns: dict[str, int] = {}
        for name in headers:
            if name not in header:
                raise InputError(
                    f"{workbook} [{title}]",
                    f"column {name!r} is missing",
                    row=1,
                    column=name,
                    expected=", ".join(headers),
                )
            self.columns[name] = header.index(name) + 1

    def text(self, row: int, name: str) -> str:
        return _cell_text(self.sheet.cell(row, self.columns[name]).value)

    def rows(self) -> Iterator[int]:
        """Rows below the header with anything in the sheet's own columns."""
        for row in range(2, self.sheet.max_row + 1):
            if any(self.text(row, name) for name in self.columns):
                yield row

    def new_row(self) -> int:
        """The row below the last filled one, styled like the row above it."""
        last = max(self.rows(), default=1)
        row = last + 1
        for name, column in self.columns.items():
            cell = self.cell(row, column)
            if last > 1:
                above = self.cell(last, column)
                for attribute in _STYLE_ATTRIBUTES:
                    setattr(cell, attribute, copy(getattr(above, attribute)))
            elif name != "Factor":
                cell.number_format = _TEXT_FORMAT
        self._grow_ranges(row)
        return row

    def put(self, row: int, values: dict[str, str] | dict[str, str | int | Decimal]) -> None:
        for name, value in values.items():
            cell = self.cell(row, self.columns[name])
            if isinstance(value, str):
                _put_text(cell, value)
            else:
                cell.value = value

    def cell(self, row: int, column: int) -> Cell:
        cell = self.sheet.cell(row, column)
        if not isinstance(cell, Cell):
            raise WorkbenchError(
                f"cell {cell.coordinate} of sheet {self.sheet.title!r} is part of merged cells; "
                "unmerge them in Excel, then try again. Nothing was changed"
            )
        return cell

    def _grow_ranges(self, row: int) -> None:
        """Stretch the filter and any Excel table that ended on the row above to the new row."""
        if self.sheet.auto_filter.ref:
            self.sheet.auto_filter.ref = _grown(self.sheet.auto_filter.ref, row)
        for table in self.sheet.tables.values():
            table.ref = _grown(table.ref, row)
            if table.autoFilter is not None and table.autoFilter.ref:
                table.autoFilter.ref = _grown(table.autoFilter.ref, row)


def _grown(reference: str, row: int) -> str:
    first_column, first_row, last_column, last_row = range_boundaries(reference)
    if first_column is None or first_row is None or last_column is None or last_row is None:
        return reference
    if last_row != row - 1:
        return reference
    return f"{get_column_letter(first_column)}{first_row}:{get_column_letter(last_column)}{row}"


def _put_text(cell: Cell, value: str) -> None:
    """Store text as text (never a formula, never a number); empty text empties the cell."""
    text = value.strip()
    if text:
        put_text(cell, text)
        return
    cell.quotePrefix = False  # the style may come from a row whose text needed the prefix
    cell.value = None


def _cell_text(value: object) -> str:
    """A cell as :meth:`Mappings.read <workbench.mapping.Mappings.read>` sees it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _vendor_title(vendor: str) -> str:
    title = VENDOR_TITLES.get(vendor, vendor)
    if vendor_key(title) != vendor:
        raise ValueError(f"vendor {vendor!r} is not a vendor key such as 'microsoft'")
    return title


def _required_reason(reason: str, what: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise WorkbenchError(
            f"Write why {what} is excluded (for example: our own tenant); nothing was changed"
        )
    return reason


def _factor(factor: Decimal | int | str) -> Decimal:
    text = str(factor).strip()
    if isinstance(factor, str) and "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount <= 0:
        raise WorkbenchError(
            f"Factor {str(factor)!r} is not a positive number such as 1 or 0.01; nothing was "
            "changed"
        )
    return amount.normalize() if amount != amount.to_integral_value() else amount
