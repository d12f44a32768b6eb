"""Every broken or hostile file in ``tests/corpus/files`` through :func:`read_inputs`.

Each corpus file is dropped, alone, into a tiny workspace that also holds the Autotask exports
of :func:`tests.builders.write_autotask`, and read. :data:`EXPECTED` states each file's outcome:
either :class:`Reads` (exactly how many usage records it yields, how many count, which are
excluded as blank or total rows, and which rows of the file they come from) or :class:`Fails`
(an :class:`InputError` naming the file, with the row and column when a cell is at fault).
Nothing may raise anything else, and no row may be lost: every data row of a file that reads
shows up in the usage records.

The corpus is written by ``tests/corpus/make_corpus.py``; the zip bomb and the huge row counts
are made here, at test time, so the committed corpus stays small.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.builders import write_autotask, write_workspace
from tests.conftest import PERIOD
from workbench.errors import InputError, WorkbenchError
from workbench.sources import Inputs, read_inputs, reading
from workbench.workspace import period_bounds

CORPUS = Path(__file__).resolve().parent / "corpus" / "files"
START, END = period_bounds(PERIOD)
PC_REASON = "zero-amount row: trial or free offer, not billable usage"


@dataclass(frozen=True)
class Reads:
    """The file reads: ``records`` usage records, ``counted`` of them not excluded."""

    records: int
    counted: int
    excluded: dict[str, int] = field(default_factory=dict)  # blank and total rows by reason
    rows: tuple[int, ...] | None = None  # the file's row numbers, when not 2, 3, 4, ...


@dataclass(frozen=True)
class Fails:
    """Reading fails with an InputError holding ``fragment``, at ``row`` and ``column``."""

    fragment: str
    row: int | None = None
    column: str | None = None


PC = Reads(3, 2)  # Partner Center base rows: two charges and a trial at 0.00

EXPECTED: dict[str, Reads | Fails] = {
    # Encodings
    "pc_utf8_bom.csv": PC,
    "pc_utf8_no_bom.csv": PC,
    "pc_utf16le_bom.csv": PC,
    "pc_utf16be_bom.csv": PC,
    "pc_utf16le_no_bom.csv": PC,
    "pc_cp1252.csv": PC,
    "pc_not_any_encoding.csv": Fails("the file is not utf-8 text, nor Windows-1252"),
    "binary_garbage.csv": Fails("the file is not text: it holds binary data"),
    "workbook_named_csv.csv": Fails("the file is a workbook (a zip archive) with a text file's"),
    "empty.csv": Fails("the file is empty"),
    # Delimiters and quoting
    "pc_semicolon_decimal_comma.csv": PC,
    "pc_tab.csv": PC,
    "pc_tab.tsv": PC,
    "delimiter_tie.csv": Fails("cannot tell whether the cells are separated by", row=1),
    "pc_quoted_newlines.csv": PC,
    "pc_ragged_unquoted_comma.csv": Fails("the row has 48 cells but the header has 47", row=3),
    "rmm_groups_with_semicolons.csv": Reads(3, 2),
    # Truncation
    "pc_truncated_mid_row.csv": Fails("but the header has 47; the file may be cut short", row=4),
    "pc_truncated_in_quote.csv": Fails("a quoted cell is never closed", row=4),
    "pc_header_only.csv": Reads(0, 0),
    "huntress_trailing_blank_lines.csv": Reads(6, 6),
    # Layout: title rows, blank rows, totals
    "pc_title_rows.csv": Reads(3, 2, rows=(5, 6, 7)),
    "pc_blank_rows.csv": Reads(5, 2, {"blank row": 2}),
    "pc_total_row.csv": Reads(4, 2, {"total row": 1}),
    "pc_grand_total_after_blank.csv": Reads(5, 2, {"blank row": 1, "total row": 1}),
    "pc_customer_named_total_care.csv": Reads(4, 3),
    # Headers
    "pc_missing_quantity_column.csv": Fails("(missing Quantity", row=1),
    "pc_duplicated_header.csv": Fails("names column 'Quantity' twice", row=1, column="Quantity"),
    "unknown_export.csv": Fails("the header matches no known export", row=1),
    # Cells
    "pc_text_quantity.csv": Fails("'five' is not a whole number", row=3, column="Quantity"),
    "pc_fractional_seats.csv": Fails("'2.5' is not a whole number", row=2, column="Quantity"),
    "pc_negative_seats.csv": PC,
    "pc_text_amount.csv": Fails("'n/a' is not an amount", row=4, column="Total"),
    "huntress_negative_count.csv": Fails("-3 is negative", row=3, column="agents_count"),
    "huntress_fractional_count.csv": Fails(
        "'1.5' is not a whole number", row=2, column="sat_learner_count"
    ),
    "pc_formula_text.csv": PC,
    "pc_thousands_and_currency.csv": PC,
    "pc_decimal_comma_thousands_dot.csv": PC,
    "pc_mixed_decimal_marks.csv": Fails("numbers are written with both decimal marks"),
    "pc_customer_id_scientific.csv": Fails("scientific notation", row=3, column="CustomerId"),
    "pc_sku_id_lost_zeros.csv": Fails("'1' lost its leading zeros", row=3, column="SkuId"),
    # Workbooks
    "pc.xlsx": PC,
    "pc_second_sheet.xlsx": PC,
    "no_known_sheet.xlsx": Fails("no sheet holds a known export's header (sheets: Summary, Notes)"),
    "pc_title_blank_total.xlsx": Reads(
        5, 2, {"blank row": 1, "total row": 1}, rows=(4, 5, 6, 7, 8)
    ),
    "pc_sku_id_as_number.xlsx": Fails("'1' lost its leading zeros", row=3, column="SkuId"),
    "pc_customer_id_as_number.xlsx": Fails(
        "'123456789012' is a number where a GUID belongs", row=2, column="CustomerId"
    ),
    "pc_formula_text.xlsx": PC,
    "pc_all_text_cells.xlsx": PC,
    "csv_named_xlsx.xlsx": Fails("not an Excel workbook (.xlsx files are zip archives): it may"),
    "html_named_xlsx.xlsx": Fails("it is an HTML or XML page saved with an .xlsx name"),
    "legacy_xls_named_xlsx.xlsx": Fails("it is an old .xls workbook"),
    "truncated.xlsx": Fails("the archive is damaged or cut short"),
    "empty.xlsx": Fails("the file is empty"),
    "report.pdf": Fails(".pdf files are not read"),
}


def read_alone(tmp_path: Path, *files: Path) -> tuple[Path, Inputs]:
    """Read ``files`` in a workspace of their own, next to the tiny Autotask exports."""
    root = tmp_path / "workspace"
    inputs = write_workspace(root)
    write_autotask(inputs / "autotask")
    for file in files:
        shutil.copy(file, inputs / file.name)
    return inputs, read_inputs(inputs, root, START, END)


def records_of(inputs: Inputs, name: str) -> pd.DataFrame:
    return inputs.usage[inputs.usage["source_file"] == f"periods/{PERIOD}/inputs/{name}"]


def test_the_corpus_is_big_enough_and_every_file_has_an_expectation() -> None:
    names = sorted(path.name for path in CORPUS.iterdir())
    assert names == sorted(EXPECTED)
    assert len(names) >= 40


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(tmp_path: Path, name: str) -> None:
    expected = EXPECTED[name]
    if isinstance(expected, Fails):
        with pytest.raises(InputError) as caught:
            read_alone(tmp_path, CORPUS / name)
        error = caught.value
        assert Path(error.file).name == name
        assert str(error).startswith(name)
        assert expected.fragment in str(error)
        assert (error.row, error.column) == (expected.row, expected.column)
        return
    try:
        _, inputs = read_alone(tmp_path, CORPUS / name)
    except WorkbenchError as error:  # pragma: no cover - shown as the failure
        pytest.fail(f"{name} should read: {error}")
    records = records_of(inputs, name)
    reasons = records["excluded_reason"]
    assert len(records) == expected.records
    assert int((reasons == "").sum()) == expected.counted
    layout = {reason: int((reasons == reason).sum()) for reason in ("blank row", "total row")}
    assert {k: v for k, v in layout.items() if v} == expected.excluded
    # No row lost: every data row of the file has its records, under its own row number.
    (file,) = inputs.files[inputs.files["source_file"].str.endswith(name)].itertuples()
    rows = tuple(sorted(set(records["source_row"])))
    assert len(rows) == file.rows_read
    assert rows == (expected.rows or tuple(range(2, 2 + file.rows_read)))
    if name.startswith("pc_") and expected.counted:
        assert set(records["vendor"]) == {"microsoft"}


def test_formula_like_text_is_read_as_plain_text(tmp_path: Path) -> None:
    from tests.corpus.make_corpus import FORMULAS

    for name in ("pc_formula_text.csv", "pc_formula_text.xlsx"):
        _, inputs = read_alone(tmp_path / name, CORPUS / name)
        first = records_of(inputs, name).iloc[0]
        assert (first["customer_name"], first["sku_name"]) == (
            FORMULAS["CustomerName"],
            FORMULAS["SkuName"],
        )


@pytest.mark.parametrize(
    ("name", "quantities", "amounts"),
    [
        ("pc_thousands_and_currency.csv", [1200, -5, 0], ["26400.00", "-20.00", "0.00"]),
        ("pc_decimal_comma_thousands_dot.csv", [1200, 5, 0], ["26400.00", "20.00", "0.00"]),
        ("pc_semicolon_decimal_comma.csv", [10, 5, 0], ["220.00", "20.00", "0.00"]),
        ("pc.xlsx", [10, 5, 0], ["220", "20", "0"]),
    ],
)
def test_numbers_are_read_exactly_in_the_files_convention(
    tmp_path: Path, name: str, quantities: list[int], amounts: list[str]
) -> None:
    _, inputs = read_alone(tmp_path, CORPUS / name)
    records = records_of(inputs, name)
    assert records["quantity"].tolist() == quantities
    assert records["amount"].tolist() == [Decimal(amount) for amount in amounts]


def test_non_ascii_names_survive_every_encoding(tmp_path: Path) -> None:
    _, inputs = read_alone(tmp_path, CORPUS / "pc_cp1252.csv")
    assert records_of(inputs, "pc_cp1252.csv")["customer_name"].iloc[0] == "Café Zürich \u2013 Ost"


# -- made at test time -------------------------------------------------------------------------


def _workbook_with_sheet_xml(sheet_xml: bytes) -> bytes:
    """A real workbook whose first sheet's XML is replaced (to declare or hold many rows)."""
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    source = zipfile.ZipFile(buffer)
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = sheet_xml
            archive.writestr(info.filename, content)
    return target.getvalue()


_SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"%s<sheetData>%s</sheetData></worksheet>"
)


def test_a_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    bomb = tmp_path / "invoice.xlsx"
    cells = (
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + b"0" * (64 << 20) + b"</t></is></c></row>"
    )
    bomb.write_bytes(_workbook_with_sheet_xml(_SHEET % (b"", cells)))
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(
        InputError, match=r"invoice\.xlsx: part xl/worksheets/sheet1\.xml is compressed"
    ):
        read_alone(tmp_path, bomb)


def test_a_workbook_that_unpacks_too_big_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "MAX_WORKBOOK_BYTES", 4_000)
    shutil.copy(CORPUS / "pc.xlsx", tmp_path / "pc.xlsx")
    with pytest.raises(InputError, match=r"pc\.xlsx: the workbook unpacks to [\d,]+ bytes, over"):
        read_alone(tmp_path, tmp_path / "pc.xlsx")


def test_a_sheet_declaring_too_many_rows_is_refused_before_loading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.xlsx"
    huge.write_bytes(_workbook_with_sheet_xml(_SHEET % (b'<dimension ref="A1:B2000100"/>', b"")))
    with pytest.raises(InputError, match=r"huge\.xlsx: a sheet declares 2,000,100 rows, over"):
        read_alone(tmp_path, huge)


def test_a_sheet_holding_too_many_rows_is_refused(tmp_path: Path) -> None:
    """No dimension declared: the row count is checked once the sheet is open."""
    huge = tmp_path / "huge.xlsx"
    rows = b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'
    rows += b'<row r="2000100"><c r="A2000100"><v>1</v></c></row>'
    huge.write_bytes(_workbook_with_sheet_xml(_SHEET % (b"", rows)))
    with pytest.raises(InputError, match=r"huge\.xlsx: sheet 'Sheet' has 2,000,100 rows, over"):
        read_alone(tmp_path, huge)


def test_a_csv_with_too_many_rows_is_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.csv"
    huge.write_bytes(b"id,name,agents_count\r\n" + b"7,A,1\r\n" * (reading.MAX_ROWS + 31))
    with pytest.raises(InputError, match=r"huge\.csv: the file has more than 2,000,000 rows"):
        read_alone(tmp_path, huge)
