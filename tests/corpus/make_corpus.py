"""Write the corpus of broken and hostile input files into ``tests/corpus/files/``.

Run from the repository root: ``python tests/corpus/make_corpus.py``. The output is
deterministic (fixed rows, fixed workbook timestamps), so a re-run changes no bytes; the files
are committed. Each file's expected outcome is in ``tests/test_corpus.py``. The huge-row-count
and zip-bomb cases are made at test time instead, to keep the corpus small.

Base rows: a Partner Center export of three rows (10 seats charged, 5 seats of SKU 0001, a
25-seat trial at 0.00) and a Huntress export of two organizations.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

from demodata.layouts import HUNTRESS_HEADER, MS_HEADER, RMM_HEADER

FOLDER = Path(__file__).resolve().parent / "files"
TENANT = "6F1D2C3B-4A59-4E2F-8A7B-1C2D3E4F5A6B"
OTHER_TENANT = "0A1B2C3D-1111-4222-8333-944455566677"


def pc_row(**extra: str) -> dict[str, str]:
    row = {
        "PartnerId": "P-1",
        "CustomerId": TENANT,
        "CustomerName": "Acme Dental Group",
        "ProductId": "CFQ7TTC0LCHC",
        "SkuId": "0002",
        "SkuName": "Microsoft 365 Business Premium",
        "ChargeType": "cycleCharge",
        "UnitPrice": "22.00",
        "Quantity": "10",
        "BillableQuantity": "10",
        "EffectiveUnitPrice": "22.0000",
        "Subtotal": "220.00",
        "Total": "220.00",
        "Currency": "USD",
        "SubscriptionId": "a0b1c2d3-0000-4000-8000-000000000001",
        "ChargeStartDate": "10/1/2026",
        "ChargeEndDate": "10/31/2026",
    }
    row.update(extra)
    return row


def pc_rows() -> list[dict[str, str]]:
    return [
        pc_row(),
        pc_row(
            CustomerId=OTHER_TENANT,
            CustomerName="Bluewater Logistics",
            SkuId="0001",
            SkuName="Exchange Online (Plan 1)",
            UnitPrice="4.00",
            Quantity="5",
            BillableQuantity="5",
            EffectiveUnitPrice="4.0000",
            Subtotal="20.00",
            Total="20.00",
            SubscriptionId="a0b1c2d3-0000-4000-8000-000000000002",
        ),
        pc_row(
            ChargeType="new",
            Quantity="25",
            BillableQuantity="25",
            Subtotal="0.00",
            Total="0.00",
            SubscriptionId="trial-1",
        ),
    ]


def huntress_rows() -> list[dict[str, str]]:
    return [
        {"id": "7", "name": "Acme", "agents_count": "12", "billable_identity_count": "9",
         "sat_learner_count": "0"},
        {"id": "8", "name": "Bluewater", "agents_count": "4", "billable_identity_count": "3",
         "sat_learner_count": "3"},
    ]  # fmt: skip


def csv_text(
    header: list[str], rows: list[dict[str, str]], *, delimiter: str = ",", bom: bool = False
) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: row.get(key, "") for key in header})
    return ("\ufeff" if bom else "") + buffer.getvalue()


def pc_text(rows: list[dict[str, str]] | None = None, **options: Any) -> str:
    return csv_text(MS_HEADER, pc_rows() if rows is None else rows, **options)


def line(cells: dict[str, str], header: list[str] = MS_HEADER, delimiter: str = ",") -> str:
    """One CSV line of the header's width (for title, blank and total rows)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(
        [cells.get(name, "") for name in header]
    )
    return buffer.getvalue()


def decimal_comma(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    money = ("UnitPrice", "EffectiveUnitPrice", "Subtotal", "Total")
    return [{k: v.replace(".", ",") if k in money else v for k, v in row.items()} for row in rows]


# -- workbooks ---------------------------------------------------------------------------------


def _deterministic(book: openpyxl.Workbook) -> bytes:
    """The workbook's bytes with fixed timestamps, so a re-run writes the same file."""
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in sorted(source.infolist(), key=lambda item: item.filename):
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-11-02T00:00:00Z", content
                )
            archive.writestr(zipfile.ZipInfo(info.filename, (2026, 11, 2, 0, 0, 0)), content,
                             zipfile.ZIP_DEFLATED)  # fmt: skip
    return target.getvalue()


def _typed(name: str, value: str) -> Any:
    """A Partner Center cell as Excel stores it once typed in: numbers as numbers, dates as dates."""
    if name in {"Quantity", "BillableQuantity"}:
        return int(value)
    if name in {"UnitPrice", "EffectiveUnitPrice", "Subtotal", "Total"}:
        return float(value)
    if name in {"ChargeStartDate", "ChargeEndDate"}:
        month, day, year = (int(part) for part in value.split("/"))
        return date(year, month, day)
    return value


def sheet_rows(rows: list[dict[str, str]], *, typed: bool = True) -> list[list[Any]]:
    return [
        [_typed(name, row.get(name, "")) if typed else row.get(name, "") for name in MS_HEADER]
        for row in rows
    ]


def workbook(*sheets: tuple[str, list[list[Any]]], text_cells: bool = False) -> bytes:
    """A workbook with the given sheets; ``text_cells`` stores ``=...`` text as text, not formulas."""
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if text_cells:
            for cells in sheet.iter_rows():
                for cell in cells:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"
    return _deterministic(book)


def pc_sheet(rows: list[dict[str, str]] | None = None, **options: Any) -> list[list[Any]]:
    return [list(MS_HEADER), *sheet_rows(pc_rows() if rows is None else rows, **options)]


# -- the corpus --------------------------------------------------------------------------------


def _cut(text: str, marker: str) -> bytes:
    return text[: text.index(marker)].encode("utf-8")


FORMULAS = {
    "CustomerName": '=HYPERLINK("http://example.invalid/steal","Acme Dental Group")',
    "SkuName": "+cmd|' /C calc'!A0",
    "PartnerId": "@SUM(1+1)*cmd|' /C calc'!A0",
    "Currency": "-2+3",
}


def corpus() -> dict[str, Callable[[], bytes | str]]:
    """File name -> its content (text is written as UTF-8)."""
    rows = pc_rows()
    total = line({"PartnerId": "Total", "Subtotal": "240.00", "Total": "240.00"})
    blank = line({})
    huntress = csv_text(HUNTRESS_HEADER, huntress_rows())
    valid_book = workbook(("Reconciliation", pc_sheet()))
    return {
        # Encodings
        "pc_utf8_bom.csv": lambda: pc_text(bom=True),
        "pc_utf8_no_bom.csv": lambda: pc_text(),
        "pc_utf16le_bom.csv": lambda: pc_text().encode("utf-16"),
        "pc_utf16be_bom.csv": lambda: b"\xfe\xff" + pc_text().encode("utf-16-be"),
        "pc_utf16le_no_bom.csv": lambda: pc_text().encode("utf-16-le"),
        "pc_cp1252.csv": lambda: pc_text(
            [{**rows[0], "CustomerName": "Café Zürich \u2013 Ost"}, *rows[1:]]
        ).encode("cp1252"),
        "pc_not_any_encoding.csv": lambda: pc_text().encode("utf-8").replace(b"Acme", b"Ac\x81me"),
        "binary_garbage.csv": lambda: bytes(range(256)) * 8,
        "workbook_named_csv.csv": lambda: valid_book,
        "empty.csv": lambda: b"",
        # Delimiters and quoting
        "pc_semicolon_decimal_comma.csv": lambda: pc_text(decimal_comma(rows), delimiter=";"),
        "pc_tab.csv": lambda: pc_text(delimiter="\t"),
        "pc_tab.tsv": lambda: pc_text(delimiter="\t"),
        "delimiter_tie.csv": lambda: "id,name;agents_count,x;y\r\n7,Acme;12,1;2\r\n",
        "pc_quoted_newlines.csv": lambda: pc_text(
            [{**rows[0], "CustomerName": "Acme Dental Group,\r\nNorth Office"}, *rows[1:]]
        ),
        "pc_ragged_unquoted_comma.csv": lambda: pc_text().replace(
            "Bluewater Logistics", "Bluewater, Inc."
        ),
        "rmm_groups_with_semicolons.csv": lambda: csv_text(
            RMM_HEADER,
            [
                {
                    "uid": f"d{n}",
                    "siteUid": "s1",
                    "siteName": "Acme",
                    "hostname": f"H{n}",
                    "deviceType.category": "Desktop",
                    "deviceClass": "device",
                    "deleted": "false",
                    "suspended": "false",
                    "groups": "Lab;_NotBillable_" if n == 2 else "Lab;Main",
                }
                for n in range(1, 4)
            ],
        ),
        # Truncation
        "pc_truncated_mid_row.csv": lambda: _cut(pc_text(), "trial-1"),
        "pc_truncated_in_quote.csv": lambda: _cut(
            pc_text([*rows[:2], {**rows[2], "SkuName": "Trial, 25 seats"}]), "25 seats"
        ),
        "pc_header_only.csv": lambda: pc_text([]),
        "huntress_trailing_blank_lines.csv": lambda: huntress + "\r\n\r\n,,,,,,,,,\r\n\r\n",
        # Layout: title rows, blank rows, totals
        "pc_title_rows.csv": lambda: (
            "Partner Center reconciliation\r\nExported 11/2/2026\r\n\r\n" + pc_text()
        ),
        "pc_blank_rows.csv": lambda: (
            pc_text(rows[:1]) + blank + "\r\n" + pc_text(rows[1:]).split("\r\n", 1)[1]
        ),
        "pc_total_row.csv": lambda: pc_text() + total,
        "pc_grand_total_after_blank.csv": lambda: (
            pc_text() + blank + line({"CustomerName": "Grand Total:", "Subtotal": "240.00"})
        ),
        "pc_customer_named_total_care.csv": lambda: pc_text(
            [*rows, pc_row(CustomerName="Total Care Dental", CustomerId=OTHER_TENANT)]
        ),
        # Headers
        "pc_missing_quantity_column.csv": lambda: csv_text(
            [name for name in MS_HEADER if name != "Quantity"], rows
        ),
        "pc_duplicated_header.csv": lambda: csv_text([*MS_HEADER, "Quantity"], rows),
        "unknown_export.csv": lambda: "Site Name,Agent Count,Product\r\nAcme,12,Complete\r\n",
        # Cells
        "pc_text_quantity.csv": lambda: pc_text([rows[0], {**rows[1], "Quantity": "five"}]),
        "pc_fractional_seats.csv": lambda: pc_text([{**rows[0], "Quantity": "2.5"}]),
        "pc_negative_seats.csv": lambda: pc_text(
            [{**rows[0], "Quantity": "-10", "BillableQuantity": "-10"}, *rows[1:]]
        ),
        "pc_text_amount.csv": lambda: pc_text([rows[0], rows[1], {**rows[2], "Total": "n/a"}]),
        "huntress_negative_count.csv": lambda: csv_text(
            HUNTRESS_HEADER, [huntress_rows()[0], {**huntress_rows()[1], "agents_count": "-3"}]
        ),
        "huntress_fractional_count.csv": lambda: csv_text(
            HUNTRESS_HEADER, [{**huntress_rows()[0], "sat_learner_count": "1.5"}]
        ),
        "pc_formula_text.csv": lambda: pc_text([{**rows[0], **FORMULAS}, *rows[1:]]),
        "pc_thousands_and_currency.csv": lambda: pc_text(
            [
                {
                    **rows[0],
                    "Quantity": "1,200",
                    "BillableQuantity": "1,200",
                    "Subtotal": "$26,400.00",
                    "Total": "26,400.00 USD",
                },
                {**rows[1], "Subtotal": "(20.00)", "Total": "(20.00)"},
                rows[2],
            ]
        ),
        "pc_decimal_comma_thousands_dot.csv": lambda: pc_text(
            [
                {
                    **decimal_comma(rows[:1])[0],
                    "Quantity": "1.200",
                    "BillableQuantity": "1.200",
                    "Subtotal": "26.400,00",
                    "Total": "€ 26.400,00",
                },
                *decimal_comma(rows[1:]),
            ],
            delimiter=";",
        ),
        "pc_mixed_decimal_marks.csv": lambda: pc_text(
            [rows[0], {**rows[1], "Subtotal": "20,50", "Total": "20,50"}], delimiter=";"
        ),
        "pc_customer_id_scientific.csv": lambda: pc_text(
            [rows[0], {**rows[1], "CustomerId": "1.23457E+11"}]
        ),
        "pc_sku_id_lost_zeros.csv": lambda: pc_text([rows[0], {**rows[1], "SkuId": "1"}]),
        # Workbooks
        "pc.xlsx": lambda: valid_book,
        "pc_second_sheet.xlsx": lambda: workbook(
            ("Summary", [["Customer", "Total"], ["Acme Dental Group", 220.0]]),
            ("Details", pc_sheet()),
        ),
        "no_known_sheet.xlsx": lambda: workbook(
            ("Summary", [["Customer", "Total"], ["Acme Dental Group", 220.0]]),
            ("Notes", [["Note", "Author"], ["checked", "JB"]]),
        ),
        "pc_title_blank_total.xlsx": lambda: workbook(
            (
                "Export",
                [
                    ["Partner Center reconciliation, October 2026"],
                    [],
                    *pc_sheet()[:3],
                    [],
                    *pc_sheet()[3:],
                    ["Total", *[None] * 10, 240.0],
                ],
            )
        ),
        "pc_sku_id_as_number.xlsx": lambda: workbook(
            (
                "Export",
                [
                    list(MS_HEADER),
                    *sheet_rows(rows[:1]),
                    [
                        1 if name == "SkuId" else cell
                        for name, cell in zip(MS_HEADER, sheet_rows(rows[1:2])[0], strict=True)
                    ],
                ],
            )
        ),
        "pc_customer_id_as_number.xlsx": lambda: workbook(
            (
                "Export",
                [
                    list(MS_HEADER),
                    [
                        123456789012 if name == "CustomerId" else cell
                        for name, cell in zip(MS_HEADER, sheet_rows(rows[:1])[0], strict=True)
                    ],
                ],
            )
        ),
        "pc_formula_text.xlsx": lambda: workbook(
            ("Export", pc_sheet([{**rows[0], **FORMULAS}, *rows[1:]])), text_cells=True
        ),
        "pc_all_text_cells.xlsx": lambda: workbook(("Export", pc_sheet(typed=False))),
        "csv_named_xlsx.xlsx": lambda: pc_text(),
        "html_named_xlsx.xlsx": lambda: (
            "<html><body><table><tr><td>1</td></tr></table></body></html>"
        ),
        "legacy_xls_named_xlsx.xlsx": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "truncated.xlsx": lambda: valid_book[: len(valid_book) // 2],
        "empty.xlsx": lambda: b"",
        "report.pdf": lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    }


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for old in FOLDER.iterdir():
        old.unlink()
    for name, make in corpus().items():
        content = make()
        (FOLDER / name).write_bytes(
            content.encode("utf-8") if isinstance(content, str) else content
        )
    print(f"{len(corpus())} files in {FOLDER}")


if __name__ == "__main__":
    main()
