"""Mapping: vendor customers to PSA companies, vendor SKUs and metrics to PSA services.

The mappings workbook is the source of truth; a person edits it in Excel. Its sheets:

``Customers``
    Vendor | Vendor customer ID | Vendor customer name | PSA company ID | PSA company name |
    Exclude reason. A row with an exclude reason keeps that vendor customer out on purpose.
``Services``
    Vendor | Vendor SKU | Vendor SKU name | PSA service ID | PSA service name | Factor |
    Exclude reason. One SKU may feed several services and several SKUs one service; the
    factor converts vendor units into service units (0.01 for "per 100 GB").
``Tolerances``
    PSA service ID | PSA service name | Tolerance (units): a difference within it is a match.

Customers are matched by vendor id first, then by exact name (case and spacing ignored) against
PSA company names. Every match records its method so later matchers (fuzzy suggestions) slot in
as further methods that need a person's confirmation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Literal

import openpyxl
import pandas as pd
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from workbench.errors import InputError
from workbench.matching import suggest

VENDOR_TITLES = {
    "microsoft": "Microsoft",
    "datto_rmm": "Datto RMM",
    "huntress": "Huntress",
    "pax8": "Pax8",
    "acronis": "Acronis",
    "datto_bcdr": "Datto BCDR",
    "sentinelone": "SentinelOne",
}
CUSTOMER_HEADERS = (
    "Vendor",
    "Vendor customer ID",
    "Vendor customer name",
    "PSA company ID",
    "PSA company name",
    "Exclude reason",
)
SERVICE_HEADERS = (
    "Vendor",
    "Vendor SKU",
    "Vendor SKU name",
    "PSA service ID",
    "PSA service name",
    "Factor",
    "Exclude reason",
)
TOLERANCE_HEADERS = ("PSA service ID", "PSA service name", "Tolerance (units)")

MatchMethod = Literal["id", "exact name", "excluded", "unmapped"]

#: Columns holding numbers; every other column is text, so Excel keeps ids and SKUs as typed
#: (a tenant GUID or SKU "0001" must never become a number).
_NUMBER_COLUMNS = {"Factor", "Tolerance (units)"}


def vendor_key(text: str) -> str:
    """``Datto RMM`` -> ``datto_rmm``."""
    return re.sub(r"[^0-9a-z]+", "_", text.strip().casefold()).strip("_")


def name_key(text: str) -> str:
    """Exact-name comparison ignores case and spacing only."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class CustomerMapping:
    vendor: str
    customer_key: str
    customer_name: str
    company_id: str
    company_name: str
    exclude_reason: str = ""


@dataclass(frozen=True)
class ServiceMapping:
    vendor: str
    sku: str
    sku_name: str
    service_id: str
    service_name: str
    factor: Fraction = Fraction(1)
    exclude_reason: str = ""


@dataclass(frozen=True)
class Mappings:
    """The content of a mappings workbook."""

    customers: tuple[CustomerMapping, ...] = ()
    services: tuple[ServiceMapping, ...] = ()
    tolerances: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Mappings:
        """Read and check a mappings workbook."""
        if not path.exists():
            raise InputError(
                path, "the mappings workbook is missing", expected="mappings.xlsx in the workspace"
            )
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise InputError(
                path, f"cannot be opened as an Excel workbook ({exc})", expected="an .xlsx file"
            ) from exc
        try:
            customers = [
                CustomerMapping(
                    vendor=vendor_key(row["Vendor"]),
                    customer_key=row["Vendor customer ID"].casefold(),
                    customer_name=row["Vendor customer name"],
                    company_id=row["PSA company ID"],
                    company_name=row["PSA company name"],
                    exclude_reason=row["Exclude reason"],
                )
                for row in _sheet_rows(
                    path, book, "Customers", CUSTOMER_HEADERS, required=("Vendor",)
                )
            ]
            services = []
            for number, row in _numbered_rows(
                path, book, "Services", SERVICE_HEADERS, required=("Vendor", "Vendor SKU")
            ):
                services.append(
                    ServiceMapping(
                        vendor=vendor_key(row["Vendor"]),
                        sku=row["Vendor SKU"],
                        sku_name=row["Vendor SKU name"],
                        service_id=row["PSA service ID"],
                        service_name=row["PSA service name"],
                        factor=_factor(path, number, row["Factor"]),
                        exclude_reason=row["Exclude reason"],
                    )
                )
            tolerances = {
                row["PSA service ID"]: _whole(
                    path, number, "Tolerance (units)", row["Tolerance (units)"]
                )
                for number, row in _numbered_rows(
                    path, book, "Tolerances", TOLERANCE_HEADERS, required=("PSA service ID",)
                )
            }
        finally:
            book.close()
        for number, mapping in enumerate(customers, start=2):
            if not mapping.exclude_reason and not mapping.company_id:
                raise InputError(
                    path,
                    "a customer row needs a PSA company ID or an exclude reason",
                    row=number,
                    column="PSA company ID",
                )
        return cls(customers=tuple(customers), services=tuple(services), tolerances=tolerances)

    def match_customers(
        self, vendor_customers: pd.DataFrame, companies: pd.DataFrame
    ) -> pd.DataFrame:
        """Decide which PSA company each vendor customer belongs to.

        Parameters
        ----------
        vendor_customers
            Distinct ``vendor, customer_key, customer_name``.
        companies
            The PSA's ``company_id, company_name``.

        Returns
        -------
        pandas.DataFrame
            ``vendor, customer_key, customer_name, company_id, company_name, method, note,
            suggested_company_id, suggestion_score``; ``company_id`` is empty unless the method
            is "id" or "exact name". An unmatched customer gets the best fuzzy suggestion
            (:func:`workbench.matching.suggest`) with its score and reasons in the note: a
            suggestion is never applied, a person confirms it in the mappings workbook.
        """
        # Vendor ids compare without case: GUIDs arrive in either case, and Excel users retype.
        by_id = {(m.vendor, m.customer_key.casefold()): m for m in self.customers if m.customer_key}
        names = companies.assign(key=companies["company_name"].map(name_key))
        unique_names = names.drop_duplicates("key", keep=False).set_index("key")
        company_names = dict(zip(companies["company_id"], companies["company_name"], strict=True))
        candidates = [(str(cid), str(name)) for cid, name in company_names.items()]
        rows = []
        for vendor, customer_key, customer_name in vendor_customers[
            ["vendor", "customer_key", "customer_name"]
        ].itertuples(index=False):
            mapping = by_id.get((vendor, str(customer_key).casefold()))
            company_id, method, note = "", "unmapped", ""
            suggested_id, suggested_score = "", 0.0
            if mapping is not None and mapping.exclude_reason:
                method, note = "excluded", mapping.exclude_reason
            elif mapping is not None:
                company_id, method = mapping.company_id, "id"
                if mapping.customer_name and name_key(mapping.customer_name) != name_key(
                    customer_name
                ):
                    note = f"renamed at the vendor: was {mapping.customer_name!r}"
            elif name_key(customer_name) in unique_names.index:
                company_id, method = (
                    str(unique_names.at[name_key(customer_name), "company_id"]),
                    "exact name",
                )
            else:
                note = "no customer mapping by id, and no PSA company has this exact name"
                best = suggest(str(customer_name), candidates, limit=1)
                if best:
                    suggested_id, suggested_score = best[0].company_id, best[0].score
                    reasons = "; ".join(best[0].reasons)
                    note += (
                        f". Suggested: {best[0].company_name} (score {best[0].score:.0f}"
                        f"{': ' + reasons if reasons else ''}); confirm it in mappings.xlsx"
                    )
            rows.append(
                {
                    "vendor": vendor,
                    "customer_key": customer_key,
                    "customer_name": customer_name,
                    "company_id": company_id,
                    "company_name": company_names.get(company_id, "") if company_id else "",
                    "method": method,
                    "note": note,
                    "suggested_company_id": suggested_id,
                    "suggestion_score": suggested_score,
                }
            )
        return pd.DataFrame.from_records(
            rows,
            columns=[
                "vendor",
                "customer_key",
                "customer_name",
                "company_id",
                "company_name",
                "method",
                "note",
                "suggested_company_id",
                "suggestion_score",
            ],
        )

    def service_table(self) -> pd.DataFrame:
        """Service mappings as a frame: ``vendor, sku, service_id, service_name, factor, exclude_reason``."""
        return pd.DataFrame.from_records(
            [
                {
                    "vendor": m.vendor,
                    "sku": m.sku,
                    "service_id": m.service_id,
                    "service_name": m.service_name,
                    "factor": m.factor,
                    "exclude_reason": m.exclude_reason,
                }
                for m in self.services
            ],
            columns=["vendor", "sku", "service_id", "service_name", "factor", "exclude_reason"],
        )


def mappings_book(
    customers: list[list[object]] | None = None,
    services: list[list[object]] | None = None,
    tolerances: list[list[object]] | None = None,
) -> openpyxl.Workbook:
    """A mappings workbook laid out for people, with the given rows (none: a blank template).

    Each sheet has a bold header, frozen panes, a filter, widths that fit, and text-formatted
    id columns.
    """
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, header, rows in (
        ("Customers", CUSTOMER_HEADERS, customers or []),
        ("Services", SERVICE_HEADERS, services or []),
        ("Tolerances", TOLERANCE_HEADERS, tolerances or []),
    ):
        sheet = book.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="1F4E78")
        for index, name in enumerate(header, start=1):
            letter = get_column_letter(index)
            width = max([len(name), *(len(str(row[index - 1])) for row in rows)]) + 2
            sheet.column_dimensions[letter].width = min(width, 48)
            text_format = "General" if name in _NUMBER_COLUMNS else "@"
            sheet.column_dimensions[letter].number_format = text_format
            for cell in sheet[letter][1:]:
                cell.number_format = text_format
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(len(rows), 1) + 1}"
    book.properties.creator = "MSP billing workbench"
    return book


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _numbered_rows(
    path: Path,
    book: openpyxl.Workbook,
    sheet: str,
    headers: tuple[str, ...],
    required: tuple[str, ...],
) -> list[tuple[int, dict[str, str]]]:
    if sheet not in book.sheetnames:
        raise InputError(
            path,
            f"sheet {sheet!r} is missing",
            expected=f"sheets {', '.join(('Customers', 'Services', 'Tolerances'))}",
        )
    rows = book[sheet].iter_rows(values_only=True)
    header = [_text(cell) for cell in next(rows, ())]
    positions = {}
    for name in headers:
        if name not in header:
            raise InputError(
                f"{path} [{sheet}]",
                f"column {name!r} is missing",
                row=1,
                column=name,
                expected=", ".join(headers),
            )
        positions[name] = header.index(name)
    result = []
    for number, cells in enumerate(rows, start=2):
        values = {
            name: _text(cells[index]) if index < len(cells) else ""
            for name, index in positions.items()
        }
        if not any(values.values()):
            continue
        for name in required:
            if not values[name]:
                raise InputError(
                    f"{path} [{sheet}]",
                    "the cell is empty",
                    row=number,
                    column=name,
                    expected="a value",
                )
        result.append((number, values))
    return result


def _sheet_rows(
    path: Path,
    book: openpyxl.Workbook,
    sheet: str,
    headers: tuple[str, ...],
    required: tuple[str, ...],
) -> list[dict[str, str]]:
    return [values for _, values in _numbered_rows(path, book, sheet, headers, required)]


def _factor(path: Path, row: int, text: str) -> Fraction:
    if not text:
        return Fraction(1)
    try:
        factor = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise InputError(
            f"{path} [Services]",
            f"{text!r} is not a number",
            row=row,
            column="Factor",
            expected="a positive number such as 1 or 0.01",
        ) from None
    if factor <= 0:
        raise InputError(
            f"{path} [Services]",
            f"{text!r} is not positive",
            row=row,
            column="Factor",
            expected="a positive number such as 1 or 0.01",
        )
    return factor


def _whole(path: Path, row: int, column: str, text: str) -> int:
    if not text:
        return 0
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        value = Fraction(-1)
    if value < 0 or value.denominator != 1:
        raise InputError(
            f"{path} [Tolerances]",
            f"{text!r} is not a whole number of units",
            row=row,
            column=column,
            expected="0 or more",
        )
    return int(value)
