"""Arrow's CSV reader against the strict reader: the same table, or the strict reader decides.

:func:`~workbench.sources.reading.read_table` reads a CSV with Arrow's reader when Arrow reads it
cell for cell as the strict reader (Python's csv module) does, and with the strict reader
otherwise. Each test here reads one file both ways (``strict=True`` is the reference) and checks
which reader ``read_table`` used and that both gave the same table (every cell, the columns, the
encoding, delimiter, decimal mark and header row) or the same error.

The files: every CSV of ``tests/corpus/files`` (:data:`STRICT_ONLY` are the ones only the strict
reader may read: other encodings, title rows, a row of another width, a quote left open), and
small files written here, one quoting or layout case each, plus two files larger than Arrow's
block (1 MiB) and than the part of a file read before Arrow starts. Then every CSV export of the
demo workspace and the PSA samples (every built-in format read from CSV, and an import profile)
goes through its importer from either reader's table: the records must be the same, to the
column type.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from tests.builders import write_autotask, write_workspace
from tests.conftest import DEMO, PERIOD
from workbench import sources
from workbench.errors import InputError
from workbench.sources import ReadContext, detect, read_inputs
from workbench.sources.datto_rmm import DEVICES
from workbench.sources.microsoft import NEW_COMMERCE
from workbench.sources.profiles import workspace_formats
from workbench.sources.reading import (
    CSV_SUFFIXES,
    RawTable,
    blank_rows,
    casefolded,
    read_table,
    stripped,
    texts,
    total_rows,
)
from workbench.workspace import period_bounds

CORPUS = Path(__file__).resolve().parent / "corpus" / "files"
CORPUS_CSVS = sorted(path for path in CORPUS.iterdir() if path.suffix in CSV_SUFFIXES)

#: Corpus files Arrow's reader leaves to the strict reader.
STRICT_ONLY = {
    "binary_garbage.csv",  # not text
    "empty.csv",
    "pc_cp1252.csv",
    "pc_not_any_encoding.csv",
    "pc_utf16be_bom.csv",
    "pc_utf16le_bom.csv",
    "pc_utf16le_no_bom.csv",
    "workbook_named_csv.csv",
    "pc_title_rows.csv",
    "pc_ragged_unquoted_comma.csv",  # a row of 48 cells under 47 headers
    "pc_truncated_mid_row.csv",
    "pc_truncated_in_quote.csv",
}
#: Corpus files both readers refuse before choosing (the same check, on the same sample).
REFUSED_BY_BOTH = {
    "delimiter_tie.csv",
    "pc_duplicated_header.csv",
    "pc_mixed_decimal_marks.csv",
}


def _read(path: Path, *, strict: bool) -> RawTable | str:
    """The table, or the error's message."""
    try:
        return read_table(path, strict=strict)
    except InputError as error:
        return str(error)


def _cells(table: RawTable) -> dict[str, list[str]]:
    return {name: table.frame[name].tolist() for name in table.frame.columns}


def _read_both(path: Path) -> tuple[RawTable | str, RawTable | str]:
    """The file read as ``read_table`` reads it and by the strict reader; the same either way."""
    fast, strict = _read(path, strict=False), _read(path, strict=True)
    if isinstance(strict, str) or isinstance(fast, str):
        assert fast == strict
        return fast, strict
    assert _cells(fast) == _cells(strict)
    assert (fast.encoding, fast.delimiter, fast.decimal_mark, fast.header_row) == (
        strict.encoding,
        strict.delimiter,
        strict.decimal_mark,
        strict.header_row,
    )
    assert [fast.row_number(p) for p in range(len(fast.frame))] == [
        strict.row_number(p) for p in range(len(strict.frame))
    ]
    assert (fast.sha256, strict.reader) == (strict.sha256, "strict")
    return fast, strict


def _reader(table: RawTable | str) -> str:
    return "refused" if isinstance(table, str) else table.reader


@pytest.mark.parametrize("path", CORPUS_CSVS, ids=[path.name for path in CORPUS_CSVS])
def test_every_corpus_csv_reads_the_same_through_either_reader(path: Path) -> None:
    fast, _ = _read_both(path)
    if path.name in REFUSED_BY_BOTH:
        assert _reader(fast) == "refused"
    elif path.name in STRICT_ONLY:
        assert _reader(fast) in {"strict", "refused"}
    else:
        assert _reader(fast) == "arrow"


def test_the_corpus_lists_are_corpus_files() -> None:
    names = {path.name for path in CORPUS_CSVS}
    assert names >= STRICT_ONLY | REFUSED_BY_BOTH
    assert len(names - STRICT_ONLY - REFUSED_BY_BOTH) >= 25


HEADER = "id,name,agents_count\r\n"


@pytest.mark.parametrize(
    ("body", "reader", "names"),
    [
        # Quotes Arrow reads as the strict reader does.
        ('7,"Acme, Inc.",3\r\n', "arrow", ["Acme, Inc."]),
        ('7,"The ""Best"" Co",3\r\n', "arrow", ['The "Best" Co']),
        ('7,"",3\r\n8,"""",4\r\n', "arrow", ["", '"']),
        ('7,"Two\r\nlines",3\r\n8,B,4\r\n', "arrow", ["Two\r\nlines", "B"]),
        ('"7","Acme","3"\r\n', "arrow", ["Acme"]),
        # A quote in the middle of an unquoted cell: the strict reader reads it.
        ('7,24" screens,3\r\n', "strict", ['24" screens']),
        # Text after a closing quote, and a quote never closed in the last column: refused.
        ('7,"Acme"x,3\r\n', "refused", None),
        ('7,Acme,"3\r\n8,B,4\r\n', "refused", None),
        ('7,""x,3\r\n', "refused", None),
        # Layout: line ends, blank lines, a row of spaces, rows of other widths.
        ("7,A,3\r8,B,4\r", "arrow", ["A", "B"]),
        ("7,A,3\n\n8,B,4\n\n\n", "arrow", ["A", "", "B"]),
        ("7,A,3\n   \n8,B,4\n", "strict", ["A", "", "B"]),
        ("7,A,3\n8,B\n", "refused", None),
        ("7,A,3,\n", "refused", None),
        ("", "arrow", []),
    ],
)
def test_quotes_and_layout(tmp_path: Path, body: str, reader: str, names: list[str] | None) -> None:
    path = tmp_path / "organizations.csv"
    path.write_bytes((HEADER + body).encode())
    fast, _ = _read_both(path)
    assert _reader(fast) == reader
    if isinstance(fast, RawTable):
        assert fast.frame["name"].tolist() == names


def test_refusals_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "organizations.csv"
    path.write_bytes((HEADER + '7,A,3\r\n8,"B"x,4\r\n').encode())
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert caught.value.row == 3
    assert "the row is not valid CSV" in caught.value.problem
    path.write_bytes((HEADER + '7,A,3\r\n8,B,"4\r\n9,C,5\r\n').encode())
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert (caught.value.row, caught.value.problem) == (
        3,
        "a quoted cell is never closed: the file may be cut short",
    )


def _large_file(path: Path, rows: int, *, title: str = "", extra: str = "") -> None:
    """``rows`` organizations, every fifth name quoted over two lines with a comma and quotes."""
    lines = [title, HEADER]
    for number in range(rows):
        name = f'"Org {number}, ""North""\r\nsite"' if number % 5 == 0 else f"Org {number}"
        lines.append(f"{number},{name},{number % 40}\r\n")
    path.write_bytes(("".join(lines) + extra).encode())


def test_a_file_larger_than_arrows_block_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "organizations.csv"
    _large_file(path, 100_000)
    assert path.stat().st_size > 2 << 20
    fast, _ = _read_both(path)
    assert isinstance(fast, RawTable) and fast.reader == "arrow"
    assert len(fast.frame) == 100_000
    assert fast.frame["name"].iloc[99_995] == 'Org 99995, "North"\r\nsite'


@pytest.mark.parametrize(
    ("title", "extra", "reader"),
    [
        ("Organizations in October\r\n\r\n", "", "strict"),  # title rows: the strict reader
        ("", "1,Caf\xe9,2\r\n", "strict"),  # a Windows-1252 byte past the first 256 KiB
        ("", "1,x,2\r\n\r\n  \r\n", "strict"),  # a row of spaces at the end
        ("", ",,\r\n" * 5_000, "arrow"),  # more blank rows at the end than are looked at first
    ],
)
def test_what_only_shows_late_in_a_large_file(
    tmp_path: Path, title: str, extra: str, reader: str
) -> None:
    path = tmp_path / "organizations.csv"
    _large_file(path, 20_000, title=title)
    with path.open("ab") as handle:
        handle.write(extra.encode("cp1252"))
    fast, _ = _read_both(path)
    assert _reader(fast) == reader


def test_too_many_rows_are_refused_by_either_reader(tmp_path: Path) -> None:
    path = tmp_path / "organizations.csv"
    path.write_bytes((HEADER + "7,A,3\r\n" * 40).encode())
    for strict in (False, True):
        with pytest.raises(InputError, match=r"the file has more than 10 rows, over the limit"):
            read_table(path, max_rows=10, strict=strict)
        assert len(read_table(path, max_rows=40, strict=strict).frame) == 40


def test_cells_are_stripped_and_case_folded_as_python_does(tmp_path: Path) -> None:
    path = tmp_path / "organizations.csv"
    names = ["\u00a0Acme\u2003", "\x1cBeta\x1f", "  Gamma ", "Stra\u00dfe", "", "Plain"]
    path.write_bytes(
        (HEADER + "".join(f"{n},{name},1\r\n" for n, name in enumerate(names))).encode()
    )
    fast, strict = _read_both(path)
    assert isinstance(fast, RawTable) and isinstance(strict, RawTable)
    assert fast.reader == "arrow"
    expected = [name.strip() for name in names]
    for table in (fast, strict):
        assert texts(table, "name") == expected
        assert casefolded(stripped(table, "name")).tolist() == [t.casefold() for t in expected]
        assert casefolded(stripped(table, "id")).tolist() == [str(n) for n in range(6)]


def _demo_csvs() -> list[Path]:
    return sorted(
        path
        for root in (DEMO, *sorted((DEMO.parent / "psa-samples").iterdir()))
        for path in (root / "periods" / PERIOD / "inputs").rglob("*.csv")
    )


@pytest.mark.parametrize(
    "path", _demo_csvs(), ids=lambda path: "/".join(path.parts[-5:]).replace("/periods/", ":")
)
def test_every_importer_makes_the_same_records_through_either_reader(path: Path) -> None:
    profiles = workspace_formats(DEMO)
    context = ReadContext(path.name, *period_bounds(PERIOD))
    fast, strict = read_table(path), read_table(path, strict=True)
    assert (fast.reader, strict.reader) == ("arrow", "strict")
    fmt = detect(fast, profiles)
    assert detect(strict, profiles) == fmt
    pd.testing.assert_frame_equal(fmt.read(fast, context), fmt.read(strict, context))


def test_a_read_leaves_arrows_memory_pool_as_it_was(tmp_path: Path) -> None:
    before = pa.default_memory_pool().backend_name
    root = tmp_path / "workspace"
    inputs = write_workspace(root)
    write_autotask(inputs / "autotask")
    read_inputs(inputs, root, *period_bounds(PERIOD))
    assert pa.default_memory_pool().backend_name == before


def _columns_read(header: list[str] | tuple[str, ...]) -> list[str] | None:
    return sources._columns_read(header, workspace_formats(DEMO))


@pytest.mark.parametrize(
    "path", _demo_csvs(), ids=lambda path: "/".join(path.parts[-5:]).replace("/periods/", ":")
)
def test_a_table_narrowed_to_its_importers_columns_makes_the_same_records(path: Path) -> None:
    profiles = workspace_formats(DEMO)
    context = ReadContext(path.name, *period_bounds(PERIOD))
    whole, narrowed = read_table(path), read_table(path, columns=_columns_read)
    fmt = detect(whole, profiles)
    assert detect(narrowed, profiles) == fmt
    assert narrowed.reader == "arrow"
    # Only the formats that list their columns are narrowed; the Datto RMM export and the
    # Partner Center file of the demo hold columns their importers never look at.
    assert (len(narrowed.frame.columns) < len(whole.frame.columns)) == (fmt.columns is not None)
    assert fmt.columns is None or fmt in {DEVICES, NEW_COMMERCE}
    assert narrowed.decimal_mark == whole.decimal_mark
    pd.testing.assert_frame_equal(fmt.read(narrowed, context), fmt.read(whole, context))


@pytest.mark.parametrize(
    "name", ["datto_rmm/devices.csv", "microsoft/Reconciliation_G052637185.csv"]
)
def test_the_large_exports_importers_let_go_of_the_cells_they_converted(name: str) -> None:
    """The device and Partner Center importers free a table's cells before they make their
    records (so the cells are not held beside them); the table keeps its rows."""
    path = DEMO / "periods" / PERIOD / "inputs" / name
    table = read_table(path)
    rows = len(table.frame)
    fmt = detect(table, workspace_formats(DEMO))
    assert fmt in {DEVICES, NEW_COMMERCE}
    records = fmt.read(table, ReadContext(path.name, *period_bounds(PERIOD)))
    assert list(table.frame.columns) == []
    assert len(table.frame) == rows == len(records) > 0
    pd.testing.assert_frame_equal(
        records,
        fmt.read(read_table(path, strict=True), ReadContext(path.name, *period_bounds(PERIOD))),
    )


#: A Datto RMM export's header: ``udf1`` and ``udf2`` are never read by its importer.
DEVICES_HEADER = "uid,siteUid,siteName,hostname,deviceType.category,deviceClass,deleted,udf1,udf2\n"
DEVICE = "d{n},s1,Site,host{n},Desktop,device,false,,\n"


@pytest.mark.parametrize(
    ("last_rows", "narrowed", "error"),
    [
        # Nothing the unread columns could change: they are not converted.
        ("", True, None),
        # A row blank in the columns read but not in the others: not a blank row.
        (",,,,,,,note,\n", False, None),
        # A total row at the end, and a row whose first cell is empty.
        ("Total,,,,,,,,\n", False, None),
        (",s1,Site,host9,Desktop,device,false,,\n", False, None),
        # A Windows-1252 byte in a column not read: the whole file is Windows-1252.
        ("d9,s1,Site,host9,Desktop,device,false,Caf\xe9,\n", False, None),
        # A row of another width, whichever column is short.
        ("d9,s1,Site,host9,Desktop,device,false,\n", False, "the row has 8 cells"),
    ],
)
def test_a_narrowed_read_keeps_every_check_of_the_whole_file(
    tmp_path: Path, last_rows: str, narrowed: bool, error: str | None
) -> None:
    path = tmp_path / "devices.csv"
    # The last rows come after the part of the file read before Arrow starts and after
    # Arrow's first block (1 MiB), which holds the rows the decimal mark is told from.
    rows = "".join(DEVICE.format(n=n) for n in range(30_000))
    path.write_bytes((DEVICES_HEADER + rows + last_rows).encode("cp1252"))
    assert path.stat().st_size > 1 << 20
    strict = _read(path, strict=True)
    try:
        table: RawTable | str = read_table(path, columns=_columns_read)
    except InputError as refused:
        table = str(refused)
    if error is not None:
        assert isinstance(table, str) and table == strict and error in table
        return
    assert isinstance(table, RawTable) and isinstance(strict, RawTable)
    assert ("udf1" not in table.frame.columns) == narrowed
    assert _cells(table) == {name: strict.frame[name].tolist() for name in table.frame.columns}
    assert (table.encoding, table.decimal_mark) == (strict.encoding, strict.decimal_mark)
    assert blank_rows(table) == blank_rows(strict)
    assert total_rows(table) == total_rows(strict)


def test_a_column_not_read_still_tells_the_decimal_mark(tmp_path: Path) -> None:
    path = tmp_path / "devices.csv"
    rows = "".join(DEVICE.format(n=n).replace(",,\n", ',"1,5",\n') for n in range(20))
    path.write_bytes((DEVICES_HEADER + rows).encode())
    narrowed = read_table(path, columns=_columns_read, decimal_mark=".")
    assert "udf1" not in narrowed.frame.columns
    assert narrowed.decimal_mark == read_table(path, strict=True).decimal_mark == ","
    path.write_bytes(
        (DEVICES_HEADER + rows + DEVICE.format(n=99).replace(",,\n", ",2.5,\n")).encode()
    )
    with pytest.raises(InputError, match="numbers are written with both decimal marks") as caught:
        read_table(path, columns=_columns_read)
    assert "column 'udf1'" in caught.value.problem
