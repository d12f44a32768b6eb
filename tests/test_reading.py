"""read_table and the cell readers: encodings, delimiters, layout, numbers, dates, Excel damage.

The small files here are written inline, one behaviour each; ``tests/test_corpus.py`` runs the
whole corpus of broken files through ``read_inputs``.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from tests.builders import ms_row, write_autotask, write_huntress, write_ms, write_workspace
from tests.conftest import PERIOD
from workbench.errors import InputError
from workbench.sources import read_inputs
from workbench.sources.reading import (
    RawTable,
    amounts,
    blank_rows,
    check_excel_damage,
    dates,
    integers,
    optional_amounts,
    parse_number,
    read_table,
    repeated_text,
    total_rows,
)
from workbench.workspace import period_bounds

START, END = period_bounds(PERIOD)
TEXT = "id,name,agents_count\r\n7,Café Olé,12\r\n8,Bluewater,4\r\n"


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16-le"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_detected_and_recorded(tmp_path: Path, content: bytes, encoding: str) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(content)
    table = read_table(path)
    assert table.encoding == encoding
    assert list(table.frame.columns) == ["id", "name", "agents_count"]
    assert table.frame["name"].tolist() == ["Café Olé", "Bluewater"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(TEXT.replace(",", delimiter), encoding="utf-8")
    table = read_table(path)
    assert (table.delimiter, table.frame["agents_count"].tolist()) == (delimiter, ["12", "4"])


def test_a_named_delimiter_settles_a_tie(tmp_path: Path) -> None:
    path = tmp_path / "tie.csv"
    path.write_text("a,b;c\r\n1,2;3\r\n", encoding="utf-8")
    with pytest.raises(InputError, match="by commas or by semicolons"):
        read_table(path)
    assert list(read_table(path, delimiter=";").frame.columns) == ["a,b", "c"]


def test_title_rows_blank_rows_and_totals_keep_the_files_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(
        "Huntress export\r\n\r\nid,name,agents_count\r\n7,Acme,12\r\n,,\r\n8,Blue,4\r\n"
        "Total,,16\r\n\r\n\r\n",
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.header_row == 3
    assert [table.row_number(p) for p in range(len(table.frame))] == [4, 5, 6, 7]
    assert blank_rows(table) == [False, True, False, False]
    assert total_rows(table) == [False, False, False, True]
    narrowed = table.only([0, 2])
    assert [narrowed.row_number(p) for p in range(2)] == [4, 6]
    assert integers(narrowed, "agents_count") == [12, 4]


def test_a_customer_named_total_is_not_a_total_row(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("name,id\r\nAcme,7\r\nTotal Care Dental,8\r\n", encoding="utf-8")
    assert total_rows(read_table(path)) == [False, False]


def test_a_workbook_reads_as_people_see_it(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Notes"
    sheet.append(["just a note"])
    data = book.create_sheet("Data")
    data.append(["id", "when", "seats", "price", "sku", "guid", "flag"])
    data.append(
        [7, date(2026, 10, 31), 12.0, 0.1, "0001", "6F1D2C3B-4A59-4E2F-8A7B-1C2D3E4F5A6B", True]
    )
    data.append([123456789012, None, 1e20, 1e-05, "0002", "x", False])
    book.save(tmp_path / "book.xlsx")
    table = read_table(tmp_path / "book.xlsx", recognise=lambda header: "seats" in header)
    assert table.sheet == "Data"
    assert table.frame.to_dict("records") == [
        {"id": "7", "when": "2026-10-31", "seats": "12", "price": "0.1", "sku": "0001",
         "guid": "6F1D2C3B-4A59-4E2F-8A7B-1C2D3E4F5A6B", "flag": "TRUE"},
        {"id": "123456789012", "when": "", "seats": "100000000000000000000", "price": "0.00001",
         "sku": "0002", "guid": "x", "flag": "FALSE"},
    ]  # fmt: skip
    assert read_table(tmp_path / "book.xlsx", sheet="Notes").frame.empty
    with pytest.raises(InputError, match="has no sheet 'Missing' \\(sheets: Notes, Data\\)"):
        read_table(tmp_path / "book.xlsx", sheet="Missing")


@pytest.mark.parametrize(
    ("text", "mark", "value"),
    [
        ("1.234,56", ",", "1234.56"),
        ("1,234.56", ".", "1234.56"),
        ("1 234,56", ",", "1234.56"),
        ("1\u00a0234,56", ",", "1234.56"),
        ("$12.50", ".", "12.50"),
        ("€ 12,50", ",", "12.50"),
        ("12.50 USD", ".", "12.50"),
        ("(12.50)", ".", "-12.50"),
        ("-$3.00", ".", "-3.00"),
        ("0,5", ",", "0.5"),
        ("1E+3", ".", "1E+3"),
    ],
)
def test_numbers_are_read_exactly(text: str, mark: str, value: str) -> None:
    assert parse_number(text, mark) == Decimal(value)


@pytest.mark.parametrize("text", ["12,5", "1,2,3", "--3", "(-3)", "12.5.1", "abc", "", "12 %"])
def test_what_is_not_a_number_in_the_dot_convention(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text, ".")


def _table(tmp_path: Path, text: str, **options: str) -> RawTable:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    return read_table(path, **options)


def test_the_decimal_mark_is_the_files_own_or_the_workspaces(tmp_path: Path) -> None:
    comma = _table(tmp_path, "name;seats;price\r\nA;1.200;1.234,50\r\nB;2;(3,00)\r\n")
    assert comma.decimal_mark == ","
    assert integers(comma, "seats") == [1200, 2]
    assert amounts(comma, "price") == [Decimal("1234.50"), Decimal("-3.00")]
    ambiguous = "name;price\r\nA;1.234\r\nB;\r\n"
    assert optional_amounts(_table(tmp_path, ambiguous), "price") == [Decimal("1.234"), None]
    assert optional_amounts(_table(tmp_path, ambiguous, decimal_mark=","), "price") == [
        Decimal("1234"),
        None,
    ]
    with pytest.raises(InputError, match=r"row 3, column 'price': '1,2,3' is not an amount"):
        amounts(_table(tmp_path, 'name,price\r\nA,1.50\r\nB,"1,2,3"\r\n'), "price")


@pytest.mark.parametrize(
    ("cells", "order", "fallback", "expected"),
    [
        (["31/10/2026", "1/10/2026"], "auto", None, [date(2026, 10, 31), date(2026, 10, 1)]),
        (["10/31/2026", "10/1/2026"], "auto", None, [date(2026, 10, 31), date(2026, 10, 1)]),
        (["1/10/2026", ""], "auto", "DMY", [date(2026, 10, 1), None]),
        (["31.10.2026", "2026-10-01"], "DMY", None, [date(2026, 10, 31), date(2026, 10, 1)]),
        (["2026-10-31T00:00:00Z", "2026-10-01"], "auto", None, [date(2026, 10, 31), date(2026, 10, 1)]),
        (["10/31/2026 12:00:00 AM", "2026-10-01"], "MDY", None, [date(2026, 10, 31), date(2026, 10, 1)]),
    ],
)  # fmt: skip
def test_dates_in_every_order(
    tmp_path: Path, cells: list[str], order: str, fallback: str | None, expected: list[date | None]
) -> None:
    table = _table(tmp_path, "name,when\r\n" + "".join(f"x,{cell}\r\n" for cell in cells))
    assert dates(table, "when", order, fallback=fallback) == expected


def test_ambiguous_or_mixed_date_orders_are_refused(tmp_path: Path) -> None:
    ambiguous = _table(tmp_path, "name,when\r\nA,1/10/2026\r\nB,2/10/2026\r\n")
    with pytest.raises(InputError, match=r"date order is ambiguous.*date_order"):
        dates(ambiguous, "when", "auto")
    mixed = _table(tmp_path, "name,when\r\nA,31/10/2026\r\nB,10/31/2026\r\n")
    with pytest.raises(InputError, match=r"day-first \('31/10/2026', row 2\) and month-first"):
        dates(mixed, "when", "auto")


@pytest.mark.parametrize(
    ("cell", "kind", "problem"),
    [
        ("1.23457E+11", "id", "scientific notation"),
        ("1.23457E+11", "guid", "scientific notation"),
        ("123456789012", "guid", "a number where a GUID belongs"),
        ("1", "digits:4", "'1' lost its leading zeros: Excel read '0001' as the number 1"),
    ],
)
def test_excel_damage_is_named_with_the_way_out(
    tmp_path: Path, cell: str, kind: str, problem: str
) -> None:
    good = "6f1d2c3b-4a59-4e2f-8a7b-1c2d3e4f5a6b" if kind == "guid" else "0001"
    table = _table(tmp_path, f"name,key\r\nA,{good}\r\nB,{cell}\r\n")
    with pytest.raises(InputError) as caught:
        check_excel_damage(table, "key", kind)
    assert (caught.value.row, caught.value.column) == (3, "key")
    assert problem in str(caught.value)
    assert "Data > From Text/CSV" in str(caught.value)


def _month_with_one_huntress_file(tmp_path: Path) -> Path:
    """A month's inputs folder: the Autotask exports and ``huntress.csv`` with one organization
    (12 agents, 9 identities)."""
    inputs = write_workspace(tmp_path)
    write_autotask(inputs / "autotask")
    rows = [
        {"id": "7", "name": "Acme", "agents_count": "12", "billable_identity_count": "9",
         "sat_learner_count": "0"},
    ]  # fmt: skip
    write_huntress(inputs / "huntress.csv", rows)
    return inputs


def test_a_file_dropped_twice_is_read_once_and_its_rows_excluded(tmp_path: Path) -> None:
    inputs = _month_with_one_huntress_file(tmp_path)
    shutil.copyfile(inputs / "huntress.csv", inputs / "huntress (1).csv")
    read = read_inputs(inputs, tmp_path, START, END)
    files = read.files.set_index("source_file")
    duplicate = files.loc[f"periods/{PERIOD}/inputs/huntress.csv"]
    assert (duplicate["side"], duplicate["format"], duplicate["rows_read"]) == (
        "duplicate",
        f"duplicate of periods/{PERIOD}/inputs/huntress (1).csv",
        1,
    )
    copies = read.usage[read.usage["source_file"].str.endswith("/huntress.csv")]
    assert copies["quantity"].tolist() == [0, 0, 0]
    assert set(copies["excluded_reason"]) == {
        f"duplicate of periods/{PERIOD}/inputs/huntress (1).csv (same file dropped twice)"
    }
    counted = read.usage[read.usage["excluded_reason"] == ""]
    assert counted["quantity"].tolist() == [12, 9, 0]


def test_a_copy_under_a_name_that_cannot_be_read_is_still_a_copy(tmp_path: Path) -> None:
    # Files are read on threads, a copy possibly before its checksum is known: its read error
    # is the first file's, which was read, so the copy is listed as one and stops nothing.
    inputs = _month_with_one_huntress_file(tmp_path)
    (inputs / "huntress.dat").write_bytes((inputs / "huntress.csv").read_bytes())
    read = read_inputs(inputs, tmp_path, START, END)
    copy = read.files.set_index("source_file").loc[f"periods/{PERIOD}/inputs/huntress.dat"]
    assert (copy["side"], copy["format"]) == (
        "duplicate",
        f"duplicate of periods/{PERIOD}/inputs/huntress.csv",
    )
    counted = read.usage[read.usage["excluded_reason"] == ""]
    assert counted["quantity"].tolist() == [12, 9, 0]


def test_a_file_that_cannot_be_read_stops_the_month_whatever_follows(tmp_path: Path) -> None:
    # The files after it are being read and imported on other threads: the month still stops
    # at the first file at fault, in the folder's order, and returns.
    inputs = write_workspace(tmp_path)
    write_autotask(inputs / "autotask")
    (inputs / "a-broken.dat").write_text("not an export\n", encoding="utf-8")
    rows = [
        {"id": str(number), "name": f"Client {number}", "agents_count": "1",
         "billable_identity_count": "1", "sat_learner_count": "0"}
        for number in range(2_000)
    ]  # fmt: skip
    for copy in range(6):
        write_huntress(inputs / f"huntress-{copy}.csv", rows[copy:])
    with pytest.raises(InputError) as caught:
        read_inputs(inputs, tmp_path, START, END)
    assert caught.value.file.endswith("a-broken.dat")
    assert "files are not read" in str(caught.value)


def test_several_files_of_one_source_combine(tmp_path: Path) -> None:
    inputs = write_workspace(tmp_path)
    write_autotask(inputs / "autotask")
    write_ms(inputs / "ms-part1.csv", [ms_row("cycleCharge", 10, "220.00")])
    write_ms(
        inputs / "ms-part2.xlsx.csv",
        [ms_row("cycleCharge", 3, "66.00", SubscriptionId="s-2", SkuId="0001")],
    )
    usage = read_inputs(inputs, tmp_path, START, END).usage
    assert list(zip(usage["source_file"].str.rsplit("/", n=1).str[1], usage["quantity"], strict=True)) == [
        ("ms-part1.csv", 10),
        ("ms-part2.xlsx.csv", 3),
    ]  # fmt: skip


def test_blank_and_total_rows_of_contract_service_units_are_excluded_lines(tmp_path: Path) -> None:
    write_autotask(tmp_path)
    units = tmp_path / "ContractServiceUnits.csv"
    units.write_text(units.read_text(encoding="utf-8") + ",,,,,,\r\nTotal,,,,,,10\r\n", "utf-8")
    lines = read_inputs(tmp_path, tmp_path, START, END).contract_lines
    assert list(zip(lines["source_row"], lines["excluded_reason"], lines["quantity"], strict=True)) == [
        (2, "", 10),
        (3, "blank row", 0),
        (4, "total row", 0),
    ]  # fmt: skip


@pytest.mark.parametrize("rows", [0, 1, 65_536, 200_000])
def test_a_text_on_every_row_is_held_once_per_block(rows: int) -> None:
    """A file's name on every row of its records: the same text on each row, held as chunks of
    one block (the import's peak at 2,000 clients holds several such columns)."""
    column = repeated_text("periods/2026-10/inputs/devices.csv", rows)
    assert pd.Series(column).tolist() == ["periods/2026-10/inputs/devices.csv"] * rows
    arrow = pa.array(column)
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    held = {chunk.buffers()[2].address: chunk.buffers()[2].size for chunk in chunks if len(chunk)}
    assert len(held) == min(rows, 1)
    assert sum(held.values()) <= 65_536 * len("periods/2026-10/inputs/devices.csv")
