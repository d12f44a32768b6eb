"""Reading raw files as text, and turning cells into typed values with precise errors.

Everything is read as text first: a quantity, a GUID or a SKU id with leading zeros must reach
the importer exactly as the vendor wrote it. Conversions then name the file, row and column of
the first cell they cannot read.

:func:`read_table` reads any supported export, CSV or workbook, the way it really arrives:

* **CSV** is decoded as UTF-8 (with or without a byte-order mark), UTF-16 (little or big endian,
  with a byte-order mark, or without one when the NUL bytes give it away) or, only when the bytes
  are not valid UTF-8, Windows-1252; the encoding is recorded on the table. The delimiter (comma,
  semicolon or tab) is sniffed from the first :data:`SNIFF_RECORDS` records: the candidate that
  splits the most records into the same number (above one) of cells wins; a tie is an error
  asking for the file to be saved with commas. Quoted cells may hold delimiters and newlines; a
  record counts as one row, as a spreadsheet shows it. A CSV is read by Arrow's multithreaded
  reader when Arrow reads it cell for cell as the strict reader (Python's csv module) would: a
  UTF-8 file whose header is its first row, every row the header's width, its quotes read alike
  by both. Any other file (another encoding, title rows, a row of another width, a quote Arrow
  would read leniently) goes to the strict reader, which reads it or names the row at fault.
  A caller that knows which columns it will read (``columns``) has Arrow convert only those
  when the others cannot change what the table tells (blank and total rows, the encoding, the
  decimal mark): a large export's unused columns then cost neither time nor memory.
* **Workbooks** (``.xlsx``, ``.xlsm``) are read with python-calamine, after :func:`zipfile`
  checks that refuse what is not a zip archive, an archive over :data:`MAX_WORKBOOK_BYTES`
  uncompressed, a member compressed more than :data:`MAX_COMPRESSION_RATIO` to 1 (a zip bomb),
  and a sheet that declares more than :data:`MAX_ROWS` rows. The table comes from the sheet named
  in the call, else the first visible sheet whose header the caller recognises. Cells become the
  text a person sees: whole numbers without ``.0``, dates as ISO text, text cells untouched (a
  cell holding ``=HYPERLINK(...)`` as text stays that text; formulas are never evaluated, their
  saved value is read).
* **The header** is the first row, among the first :data:`HEADER_SEARCH_ROWS`, that looks like
  one: at least two non-empty cells (one in a single-column file), at least half the width of
  the widest row, and at least four in five of its non-empty cells text rather than numbers or
  dates. Rows above it are title rows; :meth:`RawTable.row_number` still gives each row's real
  number in the file. Blank rows inside the data are kept (:func:`blank_rows`), blank rows after
  the last data row are dropped, and total rows at the end are kept but marked
  (:func:`total_rows`). Columns without a header that hold nothing are dropped; a header that
  names one column twice is an error.
* **Numbers** follow the file's own convention: the decimal mark is detected once per file from
  its numeric cells (:func:`detect_decimal_mark`) and :func:`amounts`, :func:`optional_amounts`
  and :func:`integers` read ``1.234,56``, ``1,234.56``, ``1 234,56``, ``$12.50``, ``€ 12,50``,
  ``12.50 USD`` and ``(12.50)`` exactly, as :class:`~decimal.Decimal`.
* **Columns** are converted once per distinct cell (:class:`Distinct`): an export repeats its
  customers, SKUs, dates and prices on every row. Each conversion comes as an array, one value
  per distinct cell (:func:`amount_cells`, :func:`date_cells`) or per row
  (:func:`integer_array`, :func:`flag_array`), and as a list for the importers that build their
  records row by row (:func:`amounts`, :func:`dates`, ...).
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import itertools
import mmap
import re
import zipfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as arrow_csv

from workbench.errors import InputError
from workbench.money import parse_amount

#: Row numbers as a spreadsheet shows them: the header is row 1, the first data row is row 2.
FIRST_DATA_ROW = 2

#: Data rows a file may hold; more is refused before the rows are turned into a table.
MAX_ROWS = 2_000_000
#: A CSV file larger than this is refused before it is read.
MAX_CSV_BYTES = 1 << 30
#: A workbook whose members add up to more than this, uncompressed, is refused (about 700,000
#: rows of a 47-column Partner Center export; larger exports should come as CSV).
MAX_WORKBOOK_BYTES = 1 << 30
#: A workbook member compressed more than this many times is refused as a zip bomb (real
#: sheets compress 5 to 30 times).
MAX_COMPRESSION_RATIO = 100
#: Members smaller than this are not checked for their ratio (tiny XML parts compress well).
_RATIO_FLOOR = 1 << 20
#: The header must be among the first rows.
HEADER_SEARCH_ROWS = 30
#: Records the delimiter is sniffed from.
SNIFF_RECORDS = 50
#: Data rows the decimal mark is detected from.
DECIMAL_SAMPLE_ROWS = 10_000

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm"})
READABLE_SUFFIXES = CSV_SUFFIXES | WORKBOOK_SUFFIXES

DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}

#: Decides whether a header (its cells, as text) is one the caller can read.
HeaderCheck = Callable[[Sequence[str]], bool]
#: Given a header's names, the columns the caller will read (None: every column).
ColumnChoice = Callable[[Sequence[str]], Collection[str] | None]

#: One value per row of a table: a list, a NumPy array or a Series.
PerRow = Sequence[Any] | np.ndarray | pd.Series


def header_key(name: str) -> str:
    """Normalise a header for comparison: ``Customer Id``, ``customerID`` -> ``customerid``."""
    return re.sub(r"[^0-9a-z]", "", name.strip().lstrip("\ufeff").casefold())


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text, with the original headers and where each row came from.

    ``frame`` holds the rows under the header, every cell text (never NaN). ``header_row`` is the
    header's row number in the file (1 unless title rows sit above it); ``file_rows``, when set,
    lists each position's row number in the file (a table narrowed with :meth:`only`).
    ``encoding`` is the codec the text was decoded with (``utf-8``, ``utf-8-sig``,
    ``utf-16-le``, ``utf-16-be``, ``cp1252``; ``xlsx`` for workbooks), ``delimiter`` the CSV
    delimiter (empty for workbooks) and ``decimal_mark`` the file's decimal mark. ``reader``
    says which reader made the table: ``arrow`` (a CSV through Arrow's reader, its columns
    Arrow-backed), ``strict`` (a CSV through Python's csv module) or ``calamine`` (a workbook).
    """

    path: Path
    sheet: str
    frame: pd.DataFrame  # all columns str, no NaN
    sha256: str
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal_mark: str = "."
    header_row: int = 1
    file_rows: tuple[int, ...] | None = None
    reader: Literal["arrow", "strict", "calamine"] = "strict"

    @property
    def keys(self) -> dict[str, str]:
        """Normalised header -> original header."""
        return {header_key(column): column for column in self.frame.columns}

    def row_number(self, position: int) -> int:
        """The row number in the file, as a spreadsheet shows it, of the row at ``position``."""
        if self.file_rows is not None:
            return self.file_rows[position]
        return int(position) + self.header_row + 1

    def only(self, positions: Sequence[int] | np.ndarray) -> RawTable:
        """The table narrowed to some of its rows; each keeps its row number in the file."""
        kept = np.asarray(positions, dtype=np.intp)
        return replace(
            self,
            frame=self.frame.iloc[kept].reset_index(drop=True),
            file_rows=tuple(source_rows(self)[kept].tolist()),
        )


def provenance_columns(
    table: RawTable,
    source_file: str,
    reasons: PerRow | Distinct | str = "",
    record_keys: PerRow | None = None,
    change_dates: PerRow | Distinct | None = None,
) -> dict[str, Any]:
    """The provenance columns of canonical rows built one per table row, in order (``reasons``:
    one excluded reason per row, as a :class:`Distinct` or per row, or one for all;
    ``record_keys``: each row's natural key, see :func:`key_column`; ``change_dates``: the day
    each usage row's seats changed, if the vendor says). Text columns come as canonical text
    (:func:`repeated_text`, :meth:`Distinct.text_per_row`): no Python string per row."""
    rows = len(table.frame)
    if isinstance(reasons, str):
        excluded_reason: Any = repeated_text(reasons, rows)
    elif isinstance(reasons, Distinct):
        excluded_reason = reasons.text_per_row()
    else:
        excluded_reason = reasons
    return {
        "source_file": repeated_text(source_file, rows),
        "source_sheet": repeated_text(table.sheet, rows),
        "source_row": source_rows(table),
        "excluded_reason": excluded_reason,
        "record_key": repeated_text("", rows) if record_keys is None else record_keys,
        "change_date": repeated_text("", rows)
        if change_dates is None
        else _distinct_values(change_dates)
        .converted(lambda day: day.isoformat() if day else "")
        .text_per_row(),
    }


#: The text of canonical frames: pandas' own text dtype (``str``), Arrow-backed.
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def canonical_text(texts: pa.Array | pa.ChunkedArray) -> pd.api.extensions.ExtensionArray:
    """Arrow text as a text column of canonical frames (:data:`TEXT`), without a Python string
    per row."""
    text: pd.api.extensions.ExtensionArray = pd.array(texts.cast(pa.large_string()), dtype=TEXT)
    return text


def repeated_text(text: str, rows: int) -> pd.api.extensions.ExtensionArray:
    """One text on every row, as canonical text.

    The rows are chunks of one block of :data:`_REPEATED_ROWS` copies of the text, the same
    block each time (an Arrow column may hold one chunk many times): a file's name on two
    million rows takes a few MiB instead of ~90 (the import's peak holds several such columns).
    """
    block = pa.array([text], type=pa.large_string()).take(
        np.zeros(min(rows, _REPEATED_ROWS), np.int32)
    )
    whole, rest = divmod(rows, _REPEATED_ROWS)
    chunks = [block] * whole + ([block.slice(0, rest)] if rest or not whole else [])
    return canonical_text(pa.chunked_array(chunks, type=pa.large_string()))


#: Rows of the block a repeated text's column is made of.
_REPEATED_ROWS = 1 << 16


def repeated(text: str, rows: int) -> np.ndarray:
    """One text on every row, as an object array (a list of a million rows is slower to turn
    into a column). Every row holds the one string: ``np.full`` would make one per row."""
    column = np.empty(rows, dtype=object)
    column.fill(text)
    return column


def source_rows(table: RawTable) -> np.ndarray:
    """Each row's number in the file, as a spreadsheet shows it."""
    if table.file_rows is not None:
        return np.asarray(table.file_rows, dtype=np.int64)
    return np.arange(len(table.frame), dtype=np.int64) + table.header_row + 1


def provenance(
    table: RawTable,
    source_file: str,
    position: int,
    excluded_reason: str = "",
    record_key: str = "",
    change_date: date | None = None,
) -> dict[str, str | int]:
    """The provenance columns of one canonical row built from the table's row ``position``
    (``change_date``: the day a usage row's seats changed, if the vendor says)."""
    return {
        "source_file": source_file,
        "source_sheet": table.sheet,
        "source_row": table.row_number(position),
        "excluded_reason": excluded_reason,
        "record_key": record_key,
        "change_date": change_date.isoformat() if change_date else "",
    }


def key_column(*parts: PerRow | Distinct, prefix: str = "") -> pd.Series:
    """Natural keys of a table's records, one per row, from the columns that identify a record,
    as an Arrow-backed text column (no Python string per row until the keys are final).

    Each part is one value per row (or a :class:`Distinct` column), already normalised by the
    importer (a date parsed, an id case-folded), so the same record reads the same from a CSV
    and from a workbook. A blank part stays blank; parts are joined with ``|``, after ``prefix``
    (:attr:`~workbench.sources.formats.ReadContext.key_prefix`) when given; a blank key (a blank
    part alone) stays blank.
    """
    sources = [_key_source(part) for part in parts]
    chunks: list[pa.Array] = []
    # A slice of rows at a time: the parts as Arrow text are never all held at once.
    for start in range(0, len(parts[0]), _KEY_ROWS):
        keys = (
            sources[0](start, start + _KEY_ROWS)
            if len(sources) == 1 and not prefix
            else _joined_keys(prefix, [source(start, start + _KEY_ROWS) for source in sources])
        )
        # Arrays, not chunked arrays: Arrow would gather those value by value.
        chunks.extend(keys.chunks if isinstance(keys, pa.ChunkedArray) else [keys])
    return pd.Series(
        pd.array(
            pa.chunked_array(chunks, type=pa.large_string()),
            dtype=pd.ArrowDtype(pa.large_string()),
        )
    )


def _joined_keys(
    prefix: str, parts: list[pa.Array | pa.ChunkedArray]
) -> pa.Array | pa.ChunkedArray:
    """Rows' keys from their parts' texts, joined with ``|`` after ``prefix`` (if any) in one
    copy; a blank key (one blank part) stays blank."""
    bar = pa.scalar("|", pa.large_string())
    if not prefix:
        return pc.binary_join_element_wise(*parts, bar)
    keys = pc.binary_join_element_wise(pa.scalar(prefix, pa.large_string()), *parts, bar)
    if len(parts) == 1:
        blank = pc.equal(parts[0], "")
        if pc.any(blank).as_py():  # most files have none: no second copy
            keys = pc.if_else(blank, pa.scalar("", pa.large_string()), keys)
    return keys


def record_keys(*parts: PerRow, prefix: str = "") -> list[str]:
    """:func:`key_column` as a list."""
    keys: list[str] = key_column(*parts, prefix=prefix).tolist()
    return keys


#: Rows whose keys are joined at once.
_KEY_ROWS = 1 << 16


def _key_source(part: PerRow | Distinct) -> Callable[[int, int], pa.Array]:
    """A part of the keys as a function giving its rows ``start:stop`` as Arrow text. Values that
    are not text (dates, amounts, counts) become text once per distinct value."""
    if not isinstance(part, Distinct):
        texts = part
        arrow_backed = isinstance(texts, pd.Series) and _arrow_backed(texts)
        if arrow_backed or pd.api.types.infer_dtype(texts, skipna=False) == "string":
            return lambda start, stop: arrow_text(
                texts.iloc[start:stop] if isinstance(texts, pd.Series) else texts[start:stop]
            )
        part = distinct(texts)
    dictionary = pa.array([_key_part(value) for value in part.values], type=pa.large_string())
    codes = part.codes
    return lambda start, stop: dictionary.take(pa.array(codes[start:stop]))


def arrow_text(texts: PerRow) -> pa.Array | pa.ChunkedArray:
    """Text values as Arrow large strings, without a copy when Arrow already holds them so."""
    if isinstance(texts, pd.Series) and _arrow_backed(texts):
        return pa.array(texts.array).cast(pa.large_string())
    return pa.array(np.asarray(texts, dtype=object), type=pa.large_string())


def _arrow_backed(texts: pd.Series) -> bool:
    """Whether Arrow holds the series' text: Arrow's own dtype, or pandas' Arrow-backed text."""
    return isinstance(texts.dtype, pd.ArrowDtype) or (
        isinstance(texts.dtype, pd.StringDtype) and texts.dtype.storage == "pyarrow"
    )


def _key_part(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # 12.5 from a workbook cell and 12.50 from a CSV are one price.
        return format(value.normalize(), "f")
    return str(value)


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(
    path: Path,
    *,
    sheet: str | None = None,
    delimiter: str | None = None,
    decimal_mark: str = ".",
    recognise: HeaderCheck | None = None,
    max_rows: int = MAX_ROWS,
    sha256: str | None = None,
    strict: bool = False,
    columns: ColumnChoice | None = None,
) -> RawTable:
    """Read one export, CSV or workbook, with every cell as text.

    Parameters
    ----------
    path
        A ``.csv`` (also ``.tsv``, ``.txt``) or ``.xlsx``/``.xlsm`` file.
    sheet
        For a workbook, the sheet to read; by default the first visible sheet whose header
        ``recognise`` accepts (any header when ``recognise`` is None).
    delimiter
        For a CSV, the delimiter when known; by default it is sniffed.
    decimal_mark
        The decimal mark (``.`` or ``,``) used when the file's own numbers do not tell: the
        workspace's setting.
    recognise
        Tells whether a header is one the caller can read; it also picks, among the rows that
        look like a header, the first the caller knows.
    max_rows
        Data rows the file may hold.
    sha256
        The file's checksum when the caller has just computed it (:func:`file_checksum`), so a
        large file is not hashed twice.
    strict
        Read a CSV with the strict reader only: the reference Arrow's reader is held to.
    columns
        Given the header's names, the columns the caller will read, or None for all. Arrow's
        reader then converts only those (and the columns without a name), when that changes
        nothing the table tells: see :func:`_narrowed_alike`. Other readers read every column.

    Returns
    -------
    RawTable
        One table per file: a workbook yields the one sheet chosen as above.

    Raises
    ------
    InputError
        For anything that stops the file being read, naming the file (and row when known).
    """
    if decimal_mark not in {".", ","}:
        raise ValueError(f"decimal_mark must be '.' or ',', not {decimal_mark!r}")
    suffix = path.suffix.casefold()
    if suffix in WORKBOOK_SUFFIXES:
        return _read_workbook(path, sheet, decimal_mark, recognise, max_rows, sha256)
    if suffix in CSV_SUFFIXES:
        return _read_csv(
            path, delimiter, decimal_mark, recognise, max_rows, sha256, strict, columns
        )
    raise InputError(
        path,
        f"{path.suffix or 'a file without extension'} files are not read",
        expected="a .csv or .xlsx export",
    )


def _read_csv(
    path: Path,
    delimiter: str | None,
    decimal_mark: str,
    recognise: HeaderCheck | None,
    max_rows: int,
    sha256: str | None,
    strict: bool,
    columns: ColumnChoice | None,
) -> RawTable:
    """A CSV through Arrow's reader when it reads the file as the strict reader would, else
    through the strict reader."""
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise InputError(
            path,
            f"the file is {size:,} bytes, over the limit of {MAX_CSV_BYTES:,}",
            expected="one period's export",
        )
    if sha256 is None:
        sha256 = file_checksum(path)
    if not strict:
        fast = _read_csv_with_arrow(
            path, delimiter, decimal_mark, recognise, max_rows, sha256, columns
        )
        if fast is not None:
            return fast
    return _read_csv_strictly(path, delimiter, decimal_mark, recognise, max_rows, sha256)


# -- CSV through Arrow -------------------------------------------------------------------------

#: Bytes of a CSV's start decoded to sniff the delimiter and find the header before Arrow reads
#: the file.
_HEAD_BYTES = 1 << 18
#: Bytes searched for quotes at once, so the scan of a large file needs little memory.
_SCAN_BYTES = 1 << 26
_QUOTE = ord('"')
#: How Arrow's reader leaves a table's cells: Arrow text (4-byte offsets: a large export's many
#: empty columns cost half what pandas' own Arrow-backed strings would).
_ARROW_TEXT = pd.ArrowDtype(pa.string())


def _read_csv_with_arrow(
    path: Path,
    delimiter: str | None,
    decimal_mark: str,
    recognise: HeaderCheck | None,
    max_rows: int,
    sha256: str,
    columns: ColumnChoice | None = None,
) -> RawTable | None:
    """The CSV read by Arrow's multithreaded reader when Arrow reads it cell for cell as the
    strict reader does; None when only the strict reader can tell.

    That is a UTF-8 file (with or without a byte-order mark) whose header is its first row,
    whose rows all have the header's width and whose quotes both readers read alike
    (:func:`_quotes_read_alike`). Anything else (another encoding, title rows, a row of another
    width, a quoted cell left open or followed by more text, a row over Arrow's block size) is
    left to the strict reader, which reads it or names the row at fault.

    ``columns`` (see :func:`read_table`) narrows what Arrow converts to text when the narrowed
    table tells all the whole one would (:func:`_narrowed_alike`); else every column is read.
    """
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
        whole = not handle.read(1)
    if b"\x00" in head[:4096] or head.startswith((b"\xff\xfe", b"\xfe\xff", b"PK\x03\x04")):
        return None
    bom = head.startswith(b"\xef\xbb\xbf")
    start = 3 if bom else 0
    try:
        # Incremental: the head may end inside a character.
        text = codecs.getincrementaldecoder("utf-8")().decode(head[start:], final=whole)
    except UnicodeDecodeError:
        return None
    if not text.strip():
        return None
    if delimiter is None:
        sample = text[:_SNIFF_CHARACTERS]
        delimiter = _sniff_delimiter(path, sample, cut=not whole or len(text) > len(sample))
    stream = io.StringIO(text, newline="")
    try:
        records = list(
            islice(csv.reader(stream, delimiter=delimiter, strict=True), HEADER_SEARCH_ROWS)
        )
    except csv.Error:
        return None
    if not whole and stream.tell() >= len(text):
        return None  # the head may end inside the records the header is looked for in
    if _find_header(records, recognise) != 0 or any(
        "\n" in cell or "\r" in cell for cell in records[0]
    ):
        return None  # title rows, or a header on several lines (Arrow skips it as one line)
    alike, line_breaks = _quotes_read_alike(path, delimiter, start)
    if not alike:
        return None
    header = _header_names(records[0])
    width = len(header)
    kept = _kept_positions(header, columns(header) if columns else None)
    cells = _arrow_cells(path, delimiter, width, line_breaks, kept)
    if cells is not None and kept is not None and not _narrowed_alike(path, start, cells):
        kept = None
        cells = _arrow_cells(path, delimiter, width, line_breaks, kept)
    if cells is None:
        return None  # a row of another width, text that is not UTF-8, ...
    rows = len(next(iter(cells.values())))
    if rows + 1 > max_rows + HEADER_SEARCH_ROWS:
        raise _more_rows_than(path, max_rows)
    body = _rows_before_trailing_blanks(pd.DataFrame(cells, copy=False))
    if body > max_rows:
        raise _rows_over_limit(path, body, max_rows)
    cells = {index: column_cells[:body] for index, column_cells in cells.items()}
    # A column without a name is always read (kept below only when it holds text).
    named = _column_names(
        path, header, 1, lambda index: bool((pd.Series(cells[index]).str.strip() != "").any())
    )
    frame = pd.DataFrame(
        {name: cells[index] for index, name in named.items() if index in cells},
        index=pd.RangeIndex(body),
        copy=False,
    )
    if kept is None:
        numbers = frame
    else:
        # The decimal mark is told by every column's first rows, read or not.
        first_rows = _arrow_cells(path, delimiter, width, line_breaks, None, DECIMAL_SAMPLE_ROWS)
        if first_rows is None:
            return None
        numbers = pd.DataFrame(
            {name: first_rows[index] for index, name in named.items()}, copy=False
        )
    return RawTable(
        path=path,
        sheet="",
        frame=frame,
        sha256=sha256,
        encoding="utf-8-sig" if bom else "utf-8",
        delimiter=delimiter,
        decimal_mark=detect_decimal_mark(path, numbers, 1, decimal_mark),
        reader="arrow",
    )


def _kept_positions(header: Sequence[str], wanted: Collection[str] | None) -> list[int] | None:
    """The positions of the columns to read: those ``wanted``, the first one (total rows are
    told by a row's first cells) and those without a name; None for all."""
    if wanted is None:
        return None
    keys = {header_key(name) for name in wanted}
    kept = [
        index
        for index, name in enumerate(header)
        if index == 0 or not name or header_key(name) in keys
    ]
    return kept if len(kept) < len(header) else None


def _arrow_cells(
    path: Path,
    delimiter: str,
    width: int,
    line_breaks: bool,
    kept: list[int] | None,
    head_rows: int | None = None,
) -> dict[int, Any] | None:
    """Arrow's reading of the file's rows under its header: the cells of the columns at
    ``kept`` (all when None) by position, as Arrow-backed text (no cell becomes a Python string
    until an importer asks for it); only the first ``head_rows`` when set. None when Arrow
    refuses the file (a row of another width, text that is not UTF-8, ...)."""
    positions = [str(index) for index in range(width)]
    options: dict[str, Any] = {
        "read_options": arrow_csv.ReadOptions(column_names=positions, skip_rows=1),
        "parse_options": arrow_csv.ParseOptions(
            delimiter=delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=line_breaks,
            ignore_empty_lines=False,  # a blank line is a blank row, as the strict reader has it
        ),
        "convert_options": arrow_csv.ConvertOptions(
            column_types=dict.fromkeys(positions, pa.string()),
            strings_can_be_null=False,
            include_columns=[positions[index] for index in kept] if kept is not None else [],
        ),
    }
    try:
        if head_rows is None:
            table = arrow_csv.read_csv(path, **options)
        else:
            reader = arrow_csv.open_csv(path, **options)
            batches: list[pa.RecordBatch] = []
            while sum(batch.num_rows for batch in batches) < head_rows:
                try:
                    batches.append(reader.read_next_batch())
                except StopIteration:
                    break
            table = pa.Table.from_batches(batches, schema=reader.schema).slice(0, head_rows)
    except pa.ArrowException:
        return None
    return {
        int(name): pd.array(table.column(name), dtype=_ARROW_TEXT) for name in table.column_names
    }


def _narrowed_alike(path: Path, start: int, cells: dict[int, Any]) -> bool:
    """Whether the table narrowed to some columns (``cells``) tells all the whole table would:
    the file is UTF-8 throughout (Arrow checks only the columns it converts), no row is blank
    in the columns read (the others might hold text: a blank row is known only from them all)
    and the last row is no total row (its first cell, always read, holds something else)."""
    frame = pd.DataFrame(cells, copy=False)
    if not len(frame):
        return False
    if _blank_mask(frame).any():
        return False
    last = str(frame[0].iloc[-1]).strip()
    return bool(last) and not _TOTAL.fullmatch(last) and _is_utf8(path, start)


def _is_utf8(path: Path, start: int) -> bool:
    """Whether the file's bytes after ``start`` (its byte-order mark) are UTF-8 text."""
    with (
        path.open("rb") as handle,
        mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped,
    ):
        # The array is the callee's alone, so it is gone before the map closes.
        return _utf8_bytes(np.frombuffer(mapped, dtype=np.uint8)[start:])


def _utf8_bytes(content: np.ndarray) -> bool:
    if not len(content) or content.max() < 0x80:
        return True  # ASCII, as most exports are
    whole = pa.Array.from_buffers(
        pa.large_binary(),
        1,
        [None, pa.py_buffer(np.array([0, len(content)], dtype=np.int64)), pa.py_buffer(content)],
    )
    try:
        whole.cast(pa.large_string())  # Arrow's UTF-8 check
    except pa.ArrowInvalid:
        return False
    return True


def _quotes_read_alike(path: Path, delimiter: str, start: int) -> tuple[bool, bool]:
    """Whether Arrow reads the file's quotes as the strict reader does, and whether a quoted
    cell holds a line break (Arrow must then be told so, and reads more slowly).

    Both readers agree while every quote is one of: a cell's opening quote (at the start of a
    cell), its closing quote (followed by the delimiter, a line break or the end of the file),
    or half of a doubled quote inside a quoted cell. Counting quotes tells which a quote is: one
    preceded by an odd number of quotes is inside a quoted cell. Anything else (a quote in the
    middle of an unquoted cell, text after a closing quote, a quoted cell never closed) may be
    read differently, so the strict reader reads the file.
    """
    with path.open("rb") as handle:
        if handle.seek(0, io.SEEK_END) <= start:
            return True, False
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            if mapped.find(b'"', start) == -1:
                return True, False
            # The array is the callee's alone, so it is gone before the map closes.
            return _scan_quotes(np.frombuffer(mapped, dtype=np.uint8), delimiter, start)


def _scan_quotes(content: np.ndarray, delimiter: str, start: int) -> tuple[bool, bool]:
    """:func:`_quotes_read_alike` over the file's bytes, a part at a time."""
    ends = np.frombuffer(f"{delimiter}\n\r".encode(), dtype=np.uint8)
    last = len(content) - 1
    seen = 0  # quotes before the part being scanned
    openings: list[np.ndarray] = []
    closings: list[np.ndarray] = []
    breaks: list[np.ndarray] = []
    for offset in range(start, len(content), _SCAN_BYTES):
        part = content[offset : offset + _SCAN_BYTES]
        breaks.append(np.flatnonzero((part == 10) | (part == 13)) + offset)
        at = np.flatnonzero(part == _QUOTE) + offset
        inside = (seen + np.arange(len(at))) % 2 == 1
        seen += len(at)
        before = np.where(at > start, content[np.maximum(at - 1, 0)], ends[0])
        after = np.where(at < last, content[np.minimum(at + 1, last)], ends[0])
        opening = ~inside & (before != _QUOTE)
        closing = inside & (after != _QUOTE)
        if (opening & ~np.isin(before, ends)).any() or (closing & ~np.isin(after, ends)).any():
            return False, False
        openings.append(at[opening])
        closings.append(at[closing])
    if seen % 2:
        return False, False  # a quoted cell is never closed
    line_breaks = np.concatenate(breaks)
    inside_from = np.searchsorted(line_breaks, np.concatenate(openings))
    inside_to = np.searchsorted(line_breaks, np.concatenate(closings))
    return True, bool((inside_from != inside_to).any())


def _more_rows_than(path: Path, max_rows: int) -> InputError:
    return InputError(
        path,
        f"the file has more than {max_rows:,} rows, over the limit",
        expected=f"at most {max_rows:,} rows per file",
    )


def _rows_over_limit(path: Path, rows: int, max_rows: int) -> InputError:
    return InputError(
        path,
        f"the file has {rows:,} rows, over the limit of {max_rows:,}",
        expected=f"at most {max_rows:,} rows per file",
    )


def _read_csv_strictly(
    path: Path,
    delimiter: str | None,
    decimal_mark: str,
    recognise: HeaderCheck | None,
    max_rows: int,
    sha256: str,
) -> RawTable:
    """The strict reader: Python's csv module over the decoded text. It reads every CSV the
    workbench accepts and names the row of any it refuses, at a few hundred thousand rows a
    second."""
    text, encoding = _decode(path, path.read_bytes())
    if not text.strip():
        raise InputError(path, "the file is empty", expected="a header row")
    if delimiter is None:
        sample = text[:_SNIFF_CHARACTERS]
        delimiter = _sniff_delimiter(path, sample, cut=len(text) > len(sample))
    # strict: a quoted cell left open at the end of the file is an error, not one long cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    limit = max_rows + HEADER_SEARCH_ROWS
    records: list[list[str]] = []
    try:
        # islice collects in C: a Python loop here was half the reading time of a large file.
        records.extend(itertools.islice(reader, limit + 1))
    except csv.Error as exc:
        problem = (
            "a quoted cell is never closed: the file may be cut short"
            if "end of data" in str(exc)
            else f"the row is not valid CSV ({exc})"
        )
        raise InputError(path, problem, row=len(records) + 1) from None
    if len(records) > limit:
        raise _more_rows_than(path, max_rows)
    return _table(
        path,
        "",
        records,
        sha256=sha256,
        encoding=encoding,
        delimiter=delimiter,
        decimal_mark=decimal_mark,
        recognise=recognise,
        reader="strict",
        max_rows=max_rows,
    )


def _decode(path: Path, content: bytes) -> tuple[str, str]:
    """The file's text and the codec it was decoded with; never a silent guess."""
    if content.startswith(b"\xef\xbb\xbf"):
        candidates = [("utf-8-sig", content)]
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if content.startswith(b"\xff\xfe") else "utf-16-be"
        candidates = [(codec, content[2:])]
    elif content.startswith(b"PK\x03\x04"):
        raise InputError(
            path,
            "the file is a workbook (a zip archive) with a text file's name",
            expected="a CSV, or the workbook saved with its .xlsx name",
        )
    elif b"\x00" in content[:4096]:
        head = content[:4096]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd * 2 > len(head) // 2 and even == 0:
            candidates = [("utf-16-le", content)]
        elif even * 2 > len(head) // 2 and odd == 0:
            candidates = [("utf-16-be", content)]
        else:
            raise InputError(
                path, "the file is not text: it holds binary data", expected="a CSV export"
            )
    else:
        candidates = [("utf-8", content), ("cp1252", content)]
    for codec, payload in candidates:
        try:
            return payload.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise InputError(
        path,
        f"the file is not {candidates[0][0]} text, nor Windows-1252"
        if len(candidates) > 1
        else f"the file claims to be {candidates[0][0]} text but is not",
        expected="a CSV saved as UTF-8",
    )


#: Characters of a CSV's start its delimiter is sniffed from.
_SNIFF_CHARACTERS = 1 << 16


def _sniff_delimiter(path: Path, sample: str, *, cut: bool) -> str:
    """Comma, semicolon or tab: the one that splits the most ``sample`` records alike (``cut``:
    the file goes on after the sample, so its last record may be partial)."""
    scores: dict[str, tuple[int, int]] = {}
    for candidate in DELIMITER_NAMES:
        try:
            records = list(
                islice(
                    csv.reader(io.StringIO(sample, newline=""), delimiter=candidate), SNIFF_RECORDS
                )
            )
        except csv.Error:
            continue
        if cut and len(records) > 1:
            records = records[:-1]
        widths = [len(record) for record in records if len(record) > 1]
        if not widths:
            continue
        common = max(set(widths), key=lambda width: (widths.count(width), width))
        scores[candidate] = (widths.count(common), common)
    if not scores:
        return ","
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if len(ranked) > 1 and ranked[0][1][0] == ranked[1][1][0]:
        first, second = DELIMITER_NAMES[ranked[0][0]], DELIMITER_NAMES[ranked[1][0]]
        raise InputError(
            path,
            f"cannot tell whether the cells are separated by {first} or by {second}",
            row=1,
            expected="the export saved again as CSV with commas (or name the delimiter)",
        )
    return ranked[0][0]


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


_NUMERIC_LOOKING = re.compile(r"[\s$€£¥(+\-\u2212]*\d[\d\s.,/:'\-]*\)?%?\s*(?:[A-Z]{3})?")


def _looks_like_header(cells: Sequence[str], width: int) -> bool:
    filled = [cell.strip() for cell in cells if cell.strip()]
    if len(filled) < min(2, width) or len(filled) * 2 < width:
        return False
    numeric = sum(1 for cell in filled if _NUMERIC_LOOKING.fullmatch(cell))
    return numeric * 5 <= len(filled)


def _find_header(records: Sequence[Sequence[str]], recognise: HeaderCheck | None) -> int | None:
    """The position of the header among ``records`` (see the module docstring), or None."""
    window = records[:HEADER_SEARCH_ROWS]
    width = max((sum(1 for cell in record if cell.strip()) for record in window), default=0)
    candidates = [
        position for position, record in enumerate(window) if _looks_like_header(record, width)
    ]
    if recognise is not None:
        for position in candidates:
            if recognise([cell.strip() for cell in window[position]]):
                return position
    return candidates[0] if candidates else None


def _table(
    path: Path,
    sheet: str,
    records: list[list[str]],
    *,
    sha256: str,
    encoding: str,
    delimiter: str,
    decimal_mark: str,
    recognise: HeaderCheck | None,
    reader: Literal["strict", "calamine"],
    max_rows: int,
    header_at: int | None = None,
) -> RawTable:
    """A table from a file's records (each a list of cell texts; record 0 is row 1)."""
    if header_at is None:
        header_at = _find_header(records, recognise)
    if header_at is None:
        raise InputError(
            path,
            f"no header row in the first {HEADER_SEARCH_ROWS} rows"
            + (f" of sheet {sheet!r}" if sheet else ""),
            expected="a row of column names above the data",
        )
    header = _header_names(records[header_at])
    body = records[header_at + 1 :]
    while body and not any(cell.strip() for cell in body[-1]):
        body.pop()
    if len(body) > max_rows:
        raise _rows_over_limit(path, len(body), max_rows)
    header_row = header_at + 1
    width = len(header)
    # Most files have every row the header's width: then nothing needs checking or padding.
    even = all(len(record) == width for record in body)
    # A CSV row of another width is an error; a workbook row is as wide as its last cell.
    if reader == "strict" and not even:
        for position, record in enumerate(body):
            if len(record) == width:
                continue
            # A longer row is an error even when its extra cells are empty: a comma inside an
            # unquoted cell shifts every later cell one column to the right.
            if not any(cell.strip() for cell in record):
                continue
            raise InputError(
                path,
                f"the row has {len(record)} cells but the header has {width}"
                + ("; the file may be cut short" if position == len(body) - 1 else ""),
                row=header_row + 1 + position,
                expected="one cell per header column",
            )
    elif reader == "calamine":
        width = max([width, *(len(record) for record in body)])
        header += [""] * (width - len(header))
        even = all(len(record) == width for record in body)
    columns: list[tuple[str, ...]] = (
        list(zip(*(body if even else (_fit(record, width) for record in body)), strict=True))
        if body
        else [()] * width
    )
    named = _column_names(
        path, header, header_row, lambda index: any(cell.strip() for cell in columns[index])
    )
    frame = pd.DataFrame(
        {name: pd.array(columns[index], dtype="str") for index, name in named.items()},
        index=pd.RangeIndex(len(body)),
        copy=False,  # the arrays were just built for it
    )
    return RawTable(
        path=path,
        sheet=sheet,
        frame=frame,
        sha256=sha256,
        encoding=encoding,
        delimiter=delimiter,
        decimal_mark=detect_decimal_mark(path, frame, header_row, decimal_mark),
        header_row=header_row,
        reader=reader,
    )


def _header_names(record: Sequence[str]) -> list[str]:
    return [str(name).strip().lstrip("\ufeff") for name in record]


def _column_names(
    path: Path, header: Sequence[str], header_row: int, holds_text: Callable[[int], bool]
) -> dict[int, str]:
    """The columns kept, by position, and their names. A column without a header is kept as
    ``Column X`` when it holds text (``holds_text``), dropped when it is empty; a header that
    names a column twice is an error."""
    named: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, name in enumerate(header):
        if not name:
            if not holds_text(index):
                continue
            name = f"Column {_column_letter(index)}"
        key = header_key(name)
        if key in seen:
            raise InputError(
                path,
                f"the header names column {name!r} twice"
                + (f" (also as {seen[key]!r})" if seen[key] != name else ""),
                row=header_row,
                column=name,
                expected="each column once",
            )
        seen[key] = name
        named[index] = name
    return named


def _fit(record: list[str], width: int) -> list[str]:
    if len(record) == width:
        return record
    if len(record) > width:
        return record[:width]
    return record + [""] * (width - len(record))


# -- workbooks ---------------------------------------------------------------------------------

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?[A-Z]*(\d+)"')


def check_workbook_archive(path: Path, max_rows: int = MAX_ROWS) -> None:
    """Refuse, before opening it, a workbook that is not a zip, a zip bomb, or too many rows.

    Raises
    ------
    InputError
        Naming the file and what is wrong with it.
    """
    if not zipfile.is_zipfile(path):
        with path.open("rb") as handle:
            head = handle.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            hint = "it is an old .xls workbook (or an encrypted one): save it as .xlsx"
        elif head.startswith(b"PK"):
            hint = "the archive is damaged or cut short: download it again"
        elif head.lstrip().startswith(b"<"):
            hint = "it is an HTML or XML page saved with an .xlsx name"
        elif not head:
            hint = "the file is empty"
        else:
            hint = "it may be a CSV saved with an .xlsx name, or a damaged download"
        raise InputError(
            path, f"the file is not an Excel workbook (.xlsx files are zip archives): {hint}"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            unpacked = sum(member.file_size for member in members)
            if unpacked > MAX_WORKBOOK_BYTES:
                raise InputError(
                    path,
                    f"the workbook unpacks to {unpacked:,} bytes, over the limit of "
                    f"{MAX_WORKBOOK_BYTES:,}",
                    expected="a smaller workbook, or the export as CSV",
                )
            for member in members:
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > _RATIO_FLOOR and ratio > MAX_COMPRESSION_RATIO:
                    raise InputError(
                        path,
                        f"part {member.filename} is compressed {ratio:,.0f} to 1, over the "
                        f"limit of {MAX_COMPRESSION_RATIO} to 1 (a zip bomb, not an export)",
                        expected="a workbook saved by Excel or by the vendor",
                    )
            for member in members:
                if not member.filename.startswith("xl/worksheets/"):
                    continue
                with archive.open(member) as part:
                    head = part.read(4096)
                found = _DIMENSION.search(head)
                if found and int(found.group(1)) > max_rows + HEADER_SEARCH_ROWS:
                    raise InputError(
                        path,
                        f"a sheet declares {int(found.group(1)):,} rows, over the limit of "
                        f"{max_rows:,}",
                        expected=f"at most {max_rows:,} rows per file",
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise InputError(path, f"the workbook is damaged ({exc})") from None


def _cell_text(value: object) -> str:
    """A workbook cell as the text a person sees (numbers by value, dates ISO)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        shown = repr(value)
        if "e" in shown or "inf" in shown or "nan" in shown:
            try:
                return format(Decimal(shown), "f")
            except InvalidOperation:
                return shown
        return shown
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return "" if value is None else str(value)


def _read_workbook(
    path: Path,
    sheet: str | None,
    decimal_mark: str,
    recognise: HeaderCheck | None,
    max_rows: int,
    sha256: str | None,
) -> RawTable:
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    check_workbook_archive(path, max_rows)
    if sha256 is None:
        sha256 = file_checksum(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise InputError(path, f"the workbook cannot be opened ({exc})") from None
    with book:
        if sheet is not None:
            if sheet not in book.sheet_names:
                raise InputError(
                    path,
                    f"the workbook has no sheet {sheet!r} (sheets: {', '.join(book.sheet_names)})",
                    expected=f"a sheet named {sheet!r}",
                )
            names = [sheet]
        else:
            names = [
                meta.name
                for meta in book.sheets_metadata
                if meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible
            ]
        for name in names:
            try:
                rows = book.get_sheet_by_name(name)
                height = rows.end[0] + 1 if rows.end else 0  # end: the last cell, 0-based
                if height > max_rows + HEADER_SEARCH_ROWS:
                    raise InputError(
                        path,
                        f"sheet {name!r} has {height:,} rows, over the limit of {max_rows:,}",
                        expected=f"at most {max_rows:,} rows per file",
                    )
                records = [[_cell_text(cell) for cell in row] for row in rows.iter_rows()]
            except CalamineError as exc:
                raise InputError(path, f"sheet {name!r} cannot be read ({exc})") from None
            header_at = _find_header(records, recognise)
            if header_at is None and sheet is None:
                continue
            if (
                sheet is None
                and recognise is not None
                and header_at is not None
                and not recognise([cell.strip() for cell in records[header_at]])
            ):
                continue
            return _table(
                path,
                name,
                records,
                sha256=sha256,
                encoding="xlsx",
                delimiter="",
                decimal_mark=decimal_mark,
                recognise=recognise,
                reader="calamine",
                max_rows=max_rows,
                header_at=header_at,
            )
    raise InputError(
        path,
        f"no sheet holds a known export's header (sheets: {', '.join(names) or 'none'})",
        expected="the vendor's export on one of the workbook's sheets",
    )


# -- rows to leave out -------------------------------------------------------------------------

_TOTAL = re.compile(r"(?:grand\s*|sub\s*-?\s*)?totals?\s*:?", re.IGNORECASE)


def blank_rows(table: RawTable) -> list[bool]:
    """Per row: True when every cell is empty or spaces (importers exclude it as "blank row")."""
    blank: list[bool] = _blank_mask(table.frame).tolist()
    return blank


def _rows_before_trailing_blanks(frame: pd.DataFrame) -> int:
    """How many rows are left once the blank rows at the end are dropped; only the end of a
    large file is looked at, unless it is all blank."""
    blank = _blank_mask(frame.iloc[-_TAIL_ROWS:])
    if not blank.all():
        return len(frame) - len(blank) + int(np.flatnonzero(~blank)[-1]) + 1
    blank = _blank_mask(frame)
    return int(np.flatnonzero(~blank)[-1]) + 1 if not blank.all() else 0


#: Rows at the end of a file looked at first for trailing blank rows.
_TAIL_ROWS = 1 << 12


def _blank_mask(frame: pd.DataFrame) -> np.ndarray:
    blank = np.ones(len(frame), dtype=bool)
    for name in frame.columns:
        if not blank.any():
            break  # most files: the first column already holds text on every row
        blank &= (frame[name].str.strip() == "").to_numpy()
    return blank


def blank_row_mask(table: RawTable) -> np.ndarray:
    """:func:`blank_rows` as a NumPy mask."""
    return _blank_mask(table.frame)


def total_rows(table: RawTable) -> list[bool]:
    """Per row: True for the total rows at the end of the table ("total row").

    A total row's first non-empty cell is ``Total``, ``Totals``, ``Grand Total`` or ``Subtotal``
    (any case, an optional colon) and only blank or total rows follow it.
    """
    marks = [False] * len(table.frame)
    for position in total_row_positions(table):
        marks[position] = True
    return marks


def total_row_positions(table: RawTable) -> list[int]:
    """The positions of :func:`total_rows`' total rows, the last first."""
    positions = []
    for position in range(len(table.frame) - 1, -1, -1):
        row = table.frame.iloc[position].tolist()  # from the end: most files stop at once
        filled = [str(cell).strip() for cell in row if str(cell).strip()]
        if not filled:
            continue
        if not _TOTAL.fullmatch(filled[0]):
            break
        positions.append(position)
    return positions


# -- numbers -----------------------------------------------------------------------------------

_CURRENCY = r"(?:[$€£¥]|[A-Z]{3}|US\$)"
_NUMBER = re.compile(
    rf"(?P<sign>[-+\u2212]?)\s*(?:{_CURRENCY}\s*)?(?P<sign2>[-+\u2212]?)\s*"
    r"(?P<body>\d(?:[\d.,'\s\u00a0\u202f]*\d)?|[.,]\d+)"
    rf"\s*(?:{_CURRENCY})?(?P<trail>-?)"
)
_PLAIN = {".": re.compile(r"-?\d+(?:\.\d+)?"), ",": re.compile(r"-?\d+(?:,\d+)?")}
_SCIENTIFIC = re.compile(r"[-+]?\d+(?:[.,]\d+)?[eE][-+]?\d+")
_GROUP_MARKS = frozenset(".,' \u00a0\u202f")


def parse_number(text: str, decimal_mark: str = ".") -> Decimal:
    """An exact number written as people write them, given the file's decimal mark.

    Accepts thousands separators (``1,234.56``, ``1.234,56``, ``1 234,56``, ``1'234.56``), a
    currency symbol or ISO code before or after (``$12.50``, ``€ 12,50``, ``12.50 USD``), a sign,
    and parentheses for negatives (``(12.50)``).

    Raises
    ------
    ValueError
        If the text is not a number in that convention.
    """
    cleaned = text.strip()
    if _PLAIN[decimal_mark].fullmatch(cleaned):
        return Decimal(cleaned.replace(",", "."))
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):
        negative, cleaned = True, cleaned[1:-1].strip()
    match = _NUMBER.fullmatch(cleaned)
    if match is None:
        if decimal_mark == "." and _SCIENTIFIC.fullmatch(cleaned) and not negative:
            return parse_amount(cleaned)
        raise ValueError(f"not a number: {text!r}")
    signs = [match["sign"], match["sign2"], match["trail"]]
    minus = sum(1 for sign in signs if sign in {"-", "\u2212"}) + negative
    if minus > 1 or sum(1 for sign in signs if sign) > 1:
        raise ValueError(f"not a number: {text!r}")
    body = match["body"]
    whole, _, fraction = body.partition(decimal_mark)
    if decimal_mark in fraction or (fraction and not fraction.isdigit()):
        raise ValueError(f"not a number: {text!r}")
    if not whole.isdigit():
        groups = set(whole) & _GROUP_MARKS
        if len(groups) != 1 or not re.fullmatch(
            r"[1-9]\d{0,2}(?:" + re.escape(groups.pop()) + r"\d{3})+", whole
        ):
            raise ValueError(f"not a number: {text!r}")
        whole = re.sub(r"\D", "", whole)
    value = Decimal(f"{whole or '0'}.{fraction or '0'}" if fraction else whole)
    return -value if minus else value


def _decimal_vote(text: str) -> str | None:
    """The decimal mark a cell proves: the one mark it reads under (None for 1,234 or text)."""
    readings = []
    for mark in (".", ","):
        try:
            parse_number(text, mark)
        except ValueError:
            continue
        readings.append(mark)
    return readings[0] if len(readings) == 1 else None


_CANDIDATE = re.compile(r"\d[.,]\d")
_ARROW_CANDIDATE = r"\p{Nd}[.,]\p{Nd}"


def detect_decimal_mark(path: Path, frame: pd.DataFrame, header_row: int, default: str) -> str:
    """The file's decimal mark, from the numeric cells of its first rows; ``default`` if none tell.

    Raises
    ------
    InputError
        When some cells prove ``.`` and others ``,``, naming one of each.
    """
    sample = frame.iloc[:DECIMAL_SAMPLE_ROWS]
    proof: dict[str, tuple[int, str, str]] = {}
    for name in sample.columns:
        cells = sample[name]
        if isinstance(cells.dtype, pd.ArrowDtype):
            # Arrow picks out the cells the loop below may look at (any digit Python's \d knows,
            # and a few newer), so a column of ids, names or dates costs nothing in Python.
            matched = pc.match_substring_regex(pa.array(cells), _ARROW_CANDIDATE)
            if not pc.any(matched).as_py():
                continue
            cells = cells[matched.to_numpy(zero_copy_only=False)]
        distinct = cells.drop_duplicates()
        for label, text in zip(distinct.index.tolist(), distinct.tolist(), strict=True):
            if not _CANDIDATE.search(text):
                continue
            vote = _decimal_vote(text)
            if vote is not None and vote not in proof:
                proof[vote] = (header_row + 1 + int(str(label)), name, text)
        if len(proof) == 2:
            (row_a, column_a, text_a), (row_b, column_b, text_b) = proof["."], proof[","]
            raise InputError(
                path,
                f"numbers are written with both decimal marks: {text_a!r} (row {row_a}, column "
                f"{column_a!r}) and {text_b!r} (row {row_b}, column {column_b!r})",
                expected="one decimal mark throughout the file",
            )
    return next(iter(proof), default)


#: A count (seats, devices, units, GB) this large is a damaged cell, not usage: 10^9.
MAX_COUNT = 1_000_000_000
#: An amount this large is a damaged cell, not a price or charge (and would overflow the exact
#: arithmetic money is kept in): 10^12.
MAX_AMOUNT = Decimal(1_000_000_000_000)


def check_count(table: RawTable, position: int, name: str, value: int | Decimal) -> None:
    """Refuse a count no MSP bills: :data:`MAX_COUNT` or more (or as much negative)."""
    if abs(Decimal(value)) >= MAX_COUNT:
        raise InputError(
            table.path,
            f"{table.frame[name].iloc[position]!r} is beyond any real count",
            row=table.row_number(position),
            column=name,
            expected=f"a count below {MAX_COUNT:,}",
        )


def check_amount(table: RawTable, position: int, name: str, value: Decimal) -> None:
    """Refuse an amount no MSP bills: :data:`MAX_AMOUNT` or more (or as much negative)."""
    if abs(value) >= MAX_AMOUNT:
        raise InputError(
            table.path,
            f"{table.frame[name].iloc[position]!r} is beyond any real amount",
            row=table.row_number(position),
            column=name,
            expected=f"an amount below {MAX_AMOUNT:,}",
        )


def _number_error(table: RawTable, position: int, name: str, text: str, problem: str) -> InputError:
    example = "1234.50 or 1,234.50" if table.decimal_mark == "." else "1234,50 or 1.234,50"
    return InputError(
        table.path,
        problem,
        row=table.row_number(position),
        column=name,
        expected=f"a number such as {example}",
    )


def integer_array(table: RawTable, name: str, *, allow_blank_as_zero: bool = False) -> np.ndarray:
    """Whole numbers from a column ("42", "42.0", "1,200" accepted; "4.5" or "abc" are errors),
    one ``int64`` per row."""
    cells = distinct_cells(table, name, strip=False)
    values = []
    for index, text in enumerate(cells.values):
        cleaned = text.strip()
        if not cleaned and allow_blank_as_zero:
            values.append(0)
            continue
        try:
            number = parse_number(cleaned, table.decimal_mark)
        except ValueError:
            number = Decimal("NaN")
        if not number.is_finite() or number != number.to_integral_value():
            raise InputError(
                table.path,
                f"{text!r} is not a whole number",
                row=table.row_number(cells.first_rows[index]),
                column=name,
                expected="a whole number of units",
            )
        check_count(table, int(cells.first_rows[index]), name, number)
        values.append(int(number))
    return Distinct(values, cells.codes).per_row(np.int64)


def integers(table: RawTable, name: str, *, allow_blank_as_zero: bool = False) -> list[int]:
    """:func:`integer_array` as a list."""
    values: list[int] = integer_array(table, name, allow_blank_as_zero=allow_blank_as_zero).tolist()
    return values


def amount_cells(table: RawTable, name: str) -> Distinct:
    """Exact amounts from a column, in the file's convention: a :class:`~decimal.Decimal` per
    distinct cell (None for a blank one)."""
    cells = distinct_cells(table, name)
    values: list[Decimal | None] = []
    for index, text in enumerate(cells.values):
        if not text:
            values.append(None)
            continue
        position = int(cells.first_rows[index])
        try:
            amount = parse_number(text, table.decimal_mark)
        except ValueError:
            raise _number_error(table, position, name, text, f"{text!r} is not an amount") from None
        check_amount(table, position, name, amount)
        values.append(amount)
    return Distinct(values, cells.codes)


def optional_amounts(table: RawTable, name: str) -> list[Decimal | None]:
    """:func:`amount_cells`, one per row, as a list."""
    values: list[Decimal | None] = amount_cells(table, name).per_row().tolist()
    return values


def amounts(table: RawTable, name: str) -> list[Decimal]:
    """Exact amounts from a column; a blank cell counts as zero."""
    return [Decimal(0) if value is None else value for value in optional_amounts(table, name)]


# -- dates -------------------------------------------------------------------------------------

DateOrder = Literal["MDY", "DMY", "ISO", "auto"]
_PARTS = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_EXPECTED_DATE = {"MDY": "M/D/YYYY", "DMY": "D/M/YYYY", "ISO": "YYYY-MM-DD"}


def _date_part(text: str) -> str:
    return re.split(r"[ T]", text.strip(), maxsplit=1)[0]


def _date_order(cells: Distinct, table: RawTable, name: str, fallback: str | None) -> str:
    """The column's order, from its values: a first part over 12 is D/M, a second part M/D."""
    day_first: int | None = None  # the first distinct text that proves it
    month_first: int | None = None
    shaped = False
    for index, text in enumerate(cells.values):
        match = _PARTS.fullmatch(_date_part(text))
        if match is None:
            continue
        shaped = True
        if int(match[1]) > 12 and day_first is None:
            day_first = index
        if int(match[2]) > 12 and month_first is None:
            month_first = index
        if day_first is not None and month_first is not None:
            break
    if day_first is not None and month_first is not None:
        day, month = cells.values[day_first].strip(), cells.values[month_first].strip()
        day_row = table.row_number(cells.first_rows[day_first])
        month_row = table.row_number(cells.first_rows[month_first])
        raise InputError(
            table.path,
            f"the column holds both day-first ({day!r}, row {day_row}) and "
            f"month-first ({month!r}, row {month_row}) dates",
            column=name,
            expected="one date order throughout the column",
        )
    if day_first is not None:
        return "DMY"
    if month_first is not None:
        return "MDY"
    if fallback in {"MDY", "DMY"}:
        return fallback
    if not shaped:
        return "ISO"
    raise InputError(
        table.path,
        "the file's date order is ambiguous: every date could be day/month or month/day",
        column=name,
        expected='date_order = "DMY" or "MDY" in workspace.toml',
    )


def date_cells(table: RawTable, name: str, order: str, *, fallback: str | None = None) -> Distinct:
    """Dates in the file's own convention: a :class:`~datetime.date` (or None) per distinct cell.

    ``order`` is ``MDY`` (10/31/2026), ``DMY`` (31/10/2026 or 31.10.2026), ``ISO`` (2026-10-31)
    or ``auto``: the column decides (a first part over 12 means D/M, a second part over 12 M/D);
    when no value decides, ``fallback`` (the workspace's ``date_order``) does, and without one
    the column is refused as ambiguous. ``MDY`` and ``DMY`` also accept ISO dates (a workbook's
    date cells arrive as ISO text). A time of day after the date (``10/31/2026 12:00:00 AM``,
    ``2026-10-31T00:00:00Z``) is ignored; blank cells become None.
    """
    cells = distinct_cells(table, name, strip=False)
    if order == "auto":
        order = _date_order(cells, table, name, fallback)
    if order not in _EXPECTED_DATE:
        raise ValueError(f"date order must be MDY, DMY, ISO or auto, not {order!r}")
    values: list[date | None] = []
    for index, text in enumerate(cells.values):
        cleaned = _date_part(text)
        if not cleaned:
            values.append(None)
            continue
        try:
            values.append(_parse_date(cleaned, order))
        except ValueError:
            raise InputError(
                table.path,
                f"{text!r} is not a date",
                row=table.row_number(cells.first_rows[index]),
                column=name,
                expected=_EXPECTED_DATE[order],
            ) from None
    return Distinct(values, cells.codes)


def dates(
    table: RawTable, name: str, order: str, *, fallback: str | None = None
) -> list[date | None]:
    """:func:`date_cells`, one per row, as a list."""
    cells = date_cells(table, name, order, fallback=fallback)
    values: list[date | None] = cells.per_row().tolist()
    return values


def _parse_date(text: str, order: str) -> date:
    if order == "ISO":
        return datetime.strptime(text, "%Y-%m-%d").date()
    iso = _ISO_DATE.fullmatch(text)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    parts = _PARTS.fullmatch(text)
    if parts is None:
        raise ValueError(text)
    first, second, year = int(parts[1]), int(parts[2]), int(parts[3])
    return date(year, first, second) if order == "MDY" else date(year, second, first)


# -- Excel damage ------------------------------------------------------------------------------

_GUID = re.compile(
    r"\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?"
)
_NUMBER_LIKE = re.compile(r"[-+]?[\d.,]+(?:[eE][-+]?\d+)?")
_REEXPORT = (
    "the value exactly as the vendor exported it: use the original CSV, or open it in Excel "
    "with Data > From Text/CSV and set this column to Text before saving"
)


def check_excel_damage(table: RawTable, column: str, kind: str) -> None:
    """Refuse an id column that Excel turned into numbers when someone opened and saved the file.

    ``kind`` says what the column holds: ``guid`` (a tenant GUID: a number in its place is
    damage), ``id`` (a long id: scientific notation such as ``1.23457E+11`` is damage) or
    ``digits:N`` (a code of N digits with leading zeros, such as a SkuId ``0001``: a shorter
    all-digit value lost its zeros). Any kind refuses scientific notation. Other text is left to
    the importer.

    Raises
    ------
    InputError
        Naming the file, row and column of the first damaged cell and how to re-export.
    """
    width = 0
    if kind.startswith("digits:"):
        width = int(kind.removeprefix("digits:"))
    elif kind not in {"guid", "id"}:
        raise ValueError(f"kind must be guid, id or digits:N, not {kind!r}")
    cells = distinct_cells(table, column)
    for index, text in enumerate(cells.values):
        if not text:
            continue
        if _SCIENTIFIC.fullmatch(text):
            problem = (
                f"{text!r} is a number in scientific notation: Excel converted the id to a "
                "number and rounded it, so the original is lost"
            )
        elif kind == "guid" and not _GUID.fullmatch(text) and _NUMBER_LIKE.fullmatch(text):
            problem = f"{text!r} is a number where a GUID belongs: Excel converted the value"
        elif width and text.isdigit() and len(text) < width:
            problem = (
                f"{text!r} lost its leading zeros: Excel read {text.zfill(width)!r} as the "
                f"number {int(text)}"
            )
        else:
            continue
        raise InputError(
            table.path,
            problem,
            row=table.row_number(cells.first_rows[index]),
            column=column,
            expected=_REEXPORT,
        )


# -- columns and cells -------------------------------------------------------------------------


def column(table: RawTable, *names: str) -> str:
    """The original header of the first of ``names`` present, or an error naming them."""
    keys = table.keys
    for name in names:
        if header_key(name) in keys:
            return keys[header_key(name)]
    raise InputError(table.path, f"column {names[0]!r} is missing", expected="a header with it")


def optional_column(table: RawTable, *names: str) -> str | None:
    keys = table.keys
    for name in names:
        if header_key(name) in keys:
            return keys[header_key(name)]
    return None


def stripped(table: RawTable, name: str) -> pd.Series:
    """A column's cells as stripped text, as the table holds them (Arrow-backed when Arrow read
    the file: Arrow's whitespace is Python's, code point for code point)."""
    cells: pd.Series = table.frame[name].str.strip()
    return cells


def stripped_text(table: RawTable, name: str) -> pd.api.extensions.ExtensionArray:
    """:func:`stripped` as canonical text (:data:`TEXT`), no Python string per cell."""
    return canonical_text(pa.array(stripped(table, name).array))


def let_go(table: RawTable) -> None:
    """Free the table's cells, the importer having converted every column it reads: the table
    keeps its rows (how many, and their numbers in the file), not its cells.

    A large export's importer calls it before it makes its canonical text, which would
    otherwise be held beside the cells it came from (at 2,000 clients, ~230 MiB of device
    cells beside the device records, while the Partner Center file is read).
    """
    for name in list(table.frame.columns):
        del table.frame[name]


def casefolded(cells: pd.Series) -> pd.Series:
    """Text cells case-folded as Python folds them: by Arrow when every cell is ASCII (where the
    two agree), else once per distinct cell."""
    if isinstance(cells.dtype, pd.ArrowDtype):
        arrow_cells = pa.array(cells)
        if pc.all(pc.string_is_ascii(arrow_cells)).as_py() is not False:
            lowered = pc.ascii_lower(arrow_cells)
            return pd.Series(pd.array(lowered, dtype=_ARROW_TEXT), index=cells.index)
    return pd.Series(distinct(cells).map(str.casefold), index=cells.index, dtype=object)


def texts(table: RawTable, name: str) -> list[str]:
    """A column's cells as stripped text."""
    cells: list[str] = stripped(table, name).to_numpy(dtype=object).tolist()
    return cells


@dataclass(frozen=True)
class Distinct:
    """A column's distinct values and, per row, which one it holds.

    Exports repeat most of their cells (customers, SKUs, dates, prices, flags), so a conversion
    or a check runs once per distinct value (:meth:`converted`) and every row takes its result
    (:meth:`per_row`). The values are in the order they first appear (None last), so the first
    value a check of cells refuses is also the first row it refuses (:attr:`first_rows`).
    """

    values: list[Any]
    codes: np.ndarray  # per row, the position of its value in ``values``

    def __len__(self) -> int:
        return len(self.codes)

    def converted(self, convert: Callable[[Any], object]) -> Distinct:
        """The same rows, each value converted (once per distinct value)."""
        return Distinct([convert(value) for value in self.values], self.codes)

    def per_row(self, dtype: Any = object) -> np.ndarray:
        """Every row's value: an object array by default, where rows with one value share one
        object."""
        shared = np.empty(len(self.values), dtype=dtype)
        shared[:] = self.values
        rows: np.ndarray = shared[self.codes]
        return rows

    def text_per_row(self) -> pd.api.extensions.ExtensionArray:
        """Every row's value, the values being text, as canonical text (:data:`TEXT`): Arrow
        copies each row's text from the distinct values, no Python string per row."""
        return canonical_text(pa.array(self.values, type=pa.large_string()).take(self.codes))

    def map(self, convert: Callable[[Any], object]) -> np.ndarray:
        """``convert`` of every row's value, called once per distinct value."""
        return self.converted(convert).per_row()

    @functools.cached_property
    def first_rows(self) -> np.ndarray:
        """The position of the first row holding each value."""
        first = np.flatnonzero(~pd.Series(self.codes).duplicated().to_numpy())
        rows = np.empty(len(self.values), dtype=np.intp)
        rows[self.codes[first]] = first
        return rows


def distinct(values: PerRow) -> Distinct:
    """The :class:`Distinct` values of a column, one kind of value throughout (values that
    compare equal, such as ``12.5`` and ``12.50``, are one value)."""
    if isinstance(values, pd.Series) and _arrow_backed(values):
        texts = pa.array(values.array)
        if texts.null_count == 0:
            return _distinct_arrow_text(texts)
    if not isinstance(values, pd.Series | np.ndarray):
        values = pd.Series(list(values), dtype=object)
    codes, uniques = pd.factorize(values)
    distinct_values = np.asarray(uniques, dtype=object).tolist()
    if (codes < 0).any():  # None: factorize leaves it out
        codes = np.where(codes < 0, len(distinct_values), codes)
        distinct_values.append(None)
    return Distinct(distinct_values, codes)


def _distinct_arrow_text(texts: pa.Array | pa.ChunkedArray) -> Distinct:
    """Arrow text (no nulls) as :class:`Distinct` values, found and looked up by Arrow in one
    pass: several times faster than pandas' factorize of the same column. Arrow's dictionary
    holds the values in the order they first appear, the same dictionary for every chunk."""
    encoded = pc.dictionary_encode(texts)
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    if not chunks:
        return Distinct([], np.zeros(0, dtype=np.int32))
    codes = np.concatenate([chunk.indices.to_numpy() for chunk in chunks])
    return Distinct(chunks[-1].dictionary.to_pylist(), codes)


def _distinct_values(values: PerRow | Distinct) -> Distinct:
    return values if isinstance(values, Distinct) else distinct(values)


def distinct_cells(table: RawTable, name: str, *, strip: bool = True) -> Distinct:
    """A column's cells (stripped unless ``strip`` is false) as :class:`Distinct` texts."""
    cells = distinct(table.frame[name])
    if not strip:
        return cells
    # Stripped once per distinct cell: no stripped copy of the column is made.
    texts = [text.strip() for text in cells.values]
    if texts == cells.values:
        return cells  # most columns: nothing to strip
    merged = distinct(texts)
    return Distinct(merged.values, merged.codes[cells.codes])


_TRUTHY, _FALSY = ("true", "yes", "1"), ("false", "no", "0", "")


def flag_array(table: RawTable, name: str) -> np.ndarray:
    """A column of true/false cells (``true``, ``yes``, ``1``; ``false``, ``no``, ``0`` or
    empty), one bool per row."""
    cells = distinct_cells(table, name, strip=False)
    truthy = []
    for index, text in enumerate(cells.values):
        cleaned = text.strip().casefold()
        if cleaned not in _TRUTHY and cleaned not in _FALSY:
            raise InputError(
                table.path,
                f"{text!r} is not true or false",
                row=table.row_number(cells.first_rows[index]),
                column=name,
                expected="true or false",
            )
        truthy.append(cleaned in _TRUTHY)
    return Distinct(truthy, cells.codes).per_row(bool)
