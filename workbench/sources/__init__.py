"""Sources: read a period's exports, whatever their names, into canonical frames.

Each file is recognised by its header (:data:`FORMATS`), read as text, and converted into
canonical rows with provenance. :func:`read_inputs` returns everything a reconciliation needs
plus, per file, how many rows were read and the file's checksum.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.errors import InputError
from workbench.frame_check import check_frame
from workbench.sources import (
    acronis,
    autotask,
    autotask_ui,
    connectwise,
    datto_bcdr,
    datto_rmm,
    halopsa,
    huntress,
    microsoft,
    microsoft_legacy,
    overlap,
    pax8,
    syncro,
)
from workbench.sources.autotask import Catalogue
from workbench.sources.formats import Format, ReadContext
from workbench.sources.profiles import PROFILE_HINT
from workbench.sources.reading import (
    RawTable,
    arrow_text,
    blank_row_mask,
    canonical_text,
    check_excel_damage,
    file_checksum,
    header_key,
    optional_column,
    provenance,
    read_table,
    total_row_positions,
)
from workbench.sources.schemas import (
    CONTRACT_LINE_COLUMNS,
    USAGE_COLUMNS,
    ContractLineSchema,
    UsageSchema,
)

FORMATS: tuple[Format, ...] = (
    # PSA exports: what is billed.
    *autotask.ENTITIES,
    *autotask_ui.FORMATS,
    *connectwise.FORMATS,
    *halopsa.FORMATS,
    *syncro.FORMATS,
    # Vendor exports: what is used.
    microsoft.NEW_COMMERCE,
    *microsoft_legacy.FORMATS,
    datto_rmm.DEVICES,
    huntress.ORGANIZATIONS,
    *pax8.FORMATS,
    *acronis.FORMATS,
    *datto_bcdr.FORMATS,
)

__all__ = ["FORMATS", "Catalogue", "Inputs", "ReadContext", "detect", "read_inputs"]


#: Files an operating system leaves in any folder it shows: never exports.
_SYSTEM_FILES = {
    "thumbs.db": "a Windows thumbnail cache",
    "desktop.ini": "Windows folder settings",
    ".ds_store": "macOS folder settings",
}


def not_an_export(relative: Path) -> str:
    """Why a file of an input folder (``relative`` to it) is not an export; "" if it may be.

    Windows and macOS leave their own files in folders, Excel leaves a ``~$`` lock file beside
    a workbook it has open, and hidden files and folders belong to other tools: none of them
    should stop the month.
    """
    name = relative.name
    if name.casefold() in _SYSTEM_FILES:
        return _SYSTEM_FILES[name.casefold()]
    if name.startswith("~$"):
        return "an Excel lock file: an export is open in Excel (close it to be sure it is saved)"
    if any(part.startswith(".") for part in relative.parts):
        return "a hidden file"
    return ""


def detect(table: RawTable, profiles: tuple[Format, ...] = ()) -> Format:
    """The format whose signature the header holds; the most specific wins.

    ``profiles`` are the workspace's own formats (:mod:`workbench.sources.profiles`).

    Raises
    ------
    InputError
        Listing the closest known formats, the columns they would need, and how to describe
        the file in a profile.
    """
    formats = (*FORMATS, *profiles)
    complete = [fmt for fmt in formats if not fmt.missing(table)]
    if complete:
        return max(complete, key=lambda fmt: len(fmt.signature))
    closest = sorted(formats, key=lambda fmt: len(fmt.missing(table)) / len(fmt.signature))[:3]
    hints = "; ".join(f"{fmt.title} (missing {', '.join(fmt.missing(table))})" for fmt in closest)
    raise InputError(
        table.path,
        f"the header matches no known export. Closest: {hints}. {PROFILE_HINT}",
        row=1,
        expected="the header of a supported export, unchanged",
    )


@dataclass(frozen=True)
class Inputs:
    """A period's inputs in canonical form."""

    contract_lines: pd.DataFrame
    usage: pd.DataFrame
    catalogue: Catalogue
    files: pd.DataFrame  # source_file, format, side, rows_read, sha256


#: Id columns Excel damages when someone opens and saves an export: format key -> (column, kind)
#: for :func:`~workbench.sources.reading.check_excel_damage`.
EXCEL_DAMAGE_CHECKS: dict[str, tuple[tuple[str, str], ...]] = {
    microsoft.NEW_COMMERCE.key: (("CustomerId", "guid"), ("SkuId", "digits:4")),
}


def _columns_read(header: Sequence[str], profiles: tuple[Format, ...]) -> list[str] | None:
    """The columns the importer of a CSV with this header will look at (None: any), so the
    reader converts only those; chosen as :func:`detect` will choose the format."""
    keys = {header_key(name) for name in header}
    complete = [
        fmt
        for fmt in (*FORMATS, *profiles)
        if all(header_key(name) in keys for name in fmt.signature)
    ]
    if not complete:
        return None
    fmt = max(complete, key=lambda fmt: len(fmt.signature))
    if fmt.columns is None:
        return None
    checked = [name for name, _ in EXCEL_DAMAGE_CHECKS.get(fmt.key, ())]
    return [*fmt.signature, *fmt.columns, *checked]


def _known_header(cells: Sequence[str], profiles: tuple[Format, ...] = ()) -> bool:
    """True when some format's signature is complete in this header."""
    keys = {header_key(cell) for cell in cells}
    return any(
        all(header_key(name) in keys for name in fmt.signature) for fmt in (*FORMATS, *profiles)
    )


def _skipped_rows(table: RawTable) -> dict[int, str]:
    """The rows that are not data, by position, and why: "blank row" or "total row"."""
    skipped = dict.fromkeys(np.flatnonzero(blank_row_mask(table)).tolist(), "blank row")
    skipped.update(dict.fromkeys(total_row_positions(table), "total row"))
    return dict(sorted(skipped.items()))


def _skipped_records(
    table: RawTable,
    skipped: dict[int, str],
    fmt: Format,
    canonical: pd.DataFrame,
    context: ReadContext,
) -> pd.DataFrame:
    """Excluded canonical records for the blank and total rows, so every row is accounted for."""
    if fmt.side == "usage":
        columns, system = USAGE_COLUMNS, {"vendor": _first(canonical, "vendor", fmt.key)}
        blank: dict[str, object] = {"quantity": 0, "amount": None}
    else:
        columns, system = (
            CONTRACT_LINE_COLUMNS,
            {"psa": _first(canonical, "psa", fmt.key.split("-")[0])},
        )
        blank = {"quantity": 0, "unit_price": Decimal("0.00"), "unit_cost": Decimal("0.00")}
    records = [
        {
            **dict.fromkeys(columns, ""),
            **provenance(table, context.source_file, position, reason),
            **system,
            **blank,
        }
        for position, reason in skipped.items()
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def _first(frame: pd.DataFrame, name: str, default: str) -> str:
    return str(frame[name].iloc[0]) if name in frame and len(frame) else default


def _as_duplicate(canonical: pd.DataFrame, source_file: str, first_file: str) -> pd.DataFrame:
    """A repeated file's records: the first file's, excluded and pointing at the copy."""
    duplicate = canonical.assign(
        source_file=source_file,
        excluded_reason=f"{DUPLICATE_FILE}{first_file} (same file dropped twice)",
        quantity=0,
        record_key="",  # accounted for above, not to be counted once again
    )
    if "amount" in duplicate:
        duplicate["amount"] = pd.Series(
            [None] * len(duplicate), index=duplicate.index, dtype=object
        )
    return duplicate


#: How the records of a file identical to one read before start their reason.
DUPLICATE_FILE = "duplicate of "


def _with_format_keys(canonical: pd.DataFrame, fmt: Format) -> pd.DataFrame:
    """Natural keys prefixed with their format, so two formats never share a key (unless the
    importer prefixed them: :attr:`~workbench.sources.formats.Format.prefixes_keys`).

    Prefixed as Arrow text and kept so: no key becomes a Python string.
    """
    if "record_key" not in canonical or not len(canonical):
        return canonical
    keys = arrow_text(canonical["record_key"])
    if not fmt.prefixes_keys:
        blank = pc.equal(keys, "")
        prefixed = pc.binary_join_element_wise(
            pa.scalar(f"{fmt.key}|", pa.large_string()), keys, pa.scalar("", pa.large_string())
        )
        if pc.any(blank).as_py():  # a blank key stays blank (most files have none: no 2nd copy)
            prefixed = pc.if_else(blank, pa.scalar("", pa.large_string()), prefixed)
        keys = prefixed
    canonical["record_key"] = canonical_text(keys)
    return canonical


def _nonempty(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    return [frame for frame in frames if len(frame)]


def _no_usage() -> pd.DataFrame:
    """An empty usage frame with the canonical types (a month with only PSA exports)."""
    return _empty(USAGE_COLUMNS)


def _empty(columns: list[str]) -> pd.DataFrame:
    """An empty canonical frame with the canonical types."""
    types = {
        "source_row": "int64",
        "quantity": "int64",
        "amount": "object",
        "unit_price": "object",
        "unit_cost": "object",
    }
    return pd.DataFrame({name: pd.Series(dtype=types.get(name, "str")) for name in columns})


@dataclass(frozen=True)
class _FileImport:
    """What one export became: its format, its canonical records, the excluded records of its
    blank and total rows, how many rows it held, and the hashes of its records' keys
    (:func:`~workbench.sources.overlap.key_hashes`)."""

    fmt: Format
    canonical: pd.DataFrame
    leftover: pd.DataFrame
    rows_read: int
    key_hashes: np.ndarray


class _Turns:
    """Files read one at a time and imported one at a time, each in the folder's order, a file
    read ahead of the imports only while the files read and not yet imported (the one imported
    among them) and it are no larger than :data:`_HELD_BYTES` together: so small files never
    hold up a large one's read, and the cells and records built at once stay bounded."""

    def __init__(self, sizes: list[int]) -> None:
        self._sizes = sizes
        self._changed = threading.Condition()
        self._read = 0  # files whose turn to be read has passed
        self._imported = 0  # files whose turn to be imported has passed
        self._held = 0  # bytes of the files read (or being read) and not yet imported

    @contextlib.contextmanager
    def reading(self, index: int) -> Iterator[None]:
        size = self._sizes[index]
        with self._changed:
            self._changed.wait_for(
                lambda: self._read == index and (not self._held or self._held + size <= _HELD_BYTES)
            )
            self._held += size
        try:
            yield
        finally:
            with self._changed:
                self._read += 1
                self._changed.notify_all()

    @contextlib.contextmanager
    def importing(self, index: int) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: self._imported == index)
        try:
            yield
        finally:
            with self._changed:
                self._imported += 1
                self._held -= self._sizes[index]
                self._changed.notify_all()


#: Bytes of files held at once (read, or being read, and not yet imported), unless one file is
#: larger alone. At 2,000 clients it lets the Partner Center file (248 MB) be read while the
#: device export (324 MB) is imported. That took the import's peak to 1,530-1,590 MiB while every
#: key was copied once more to be prefixed and the device frame's columns stacked; without those
#: copies, 1,216-1,422 MiB (VmHWM, 5 runs), under the 1.5 GiB it may take; with a repeated text
#: held once and an export's cells let go once converted, 1,097-1,335 MiB (main 1,246-1,536 in
#: the same minutes, machine loaded).
_HELD_BYTES = 640 << 20


def _imported_ahead(
    paths: list[Path],
    read: Callable[[Path], RawTable],
    import_table: Callable[[RawTable, Path], _FileImport],
) -> Iterator[tuple[Path, str, _FileImport | None]]:
    """Each file with its checksum and what it became (``read``, then ``import_table``), in
    order; None for a copy of a file before it (same checksum), which is not imported again.

    Hashing, Arrow's reader and much of an importer's column work let go of the interpreter,
    so they run on threads of their own: every file is hashed ahead, and the next files are
    read while one is imported (a large export's read waits neither for the import of the one
    before it, nor for the small files between them, nor for its own checksum). Reads and
    imports each take their turn in order (:class:`_Turns`).
    """
    turns = _Turns([path.stat().st_size for path in paths])
    with (
        ThreadPoolExecutor(max_workers=1) as hashing,
        ThreadPoolExecutor(max_workers=_FILES_AT_ONCE) as workers,
    ):
        checksums = [hashing.submit(file_checksum, path) for path in paths]

        def copy_of_one_before(index: int) -> bool:
            checksum = checksums[index].result()
            return any(checksums[before].result() == checksum for before in range(index))

        def import_once(index: int) -> _FileImport | None:
            # A copy known as one before it is read is not read; one found out later is read
            # but goes no further, and its errors are the first file's. Every file takes both
            # turns, whatever happens, so the files after it are never left waiting.
            table, failure = None, None
            with turns.reading(index):
                if not (checksums[index].done() and copy_of_one_before(index)):
                    try:
                        table = read(paths[index])
                    except Exception as error:
                        failure = error
            with turns.importing(index):
                if copy_of_one_before(index):
                    return None
                if failure is not None:
                    raise failure
                assert table is not None  # read: it is no copy
                # Handed over, not kept here too: the importer lets go of the cells once it has
                # converted them, before the keys are hashed and the next file is imported.
                handed = [replace(table, sha256=checksums[index].result())]
                del table
                return import_table(handed.pop(), paths[index])

        imports = [workers.submit(import_once, index) for index in range(len(paths))]
        try:
            for index, path in enumerate(paths):
                yield path, checksums[index].result(), _popped_result(imports)
        finally:
            # A month stopped by a file: the files after it are not read. The last are cancelled
            # first, so no file starts while one before it, cancelled, never takes its turns.
            for pending in reversed(imports):
                pending.cancel()
            for checksum in reversed(checksums):
                checksum.cancel()


#: Files being read or imported at once: one imported, the next read, and one more so a small
#: file waiting for its import does not hold up the read of the file after it.
_FILES_AT_ONCE = 3


def _popped_result(imports: list[Future[_FileImport | None]]) -> _FileImport | None:
    """The first pending import's result, its future dropped from ``imports``. A function, so
    no local of the generator holds the future (and its records) across the ``yield``."""
    return imports.pop(0).result()


@contextlib.contextmanager
def _arrow_memory_given_back() -> Iterator[None]:
    """Arrow allocates from jemalloc told to give freed memory back after a second, when this
    pyarrow has jemalloc: an export's cells, dropped before the next export is read, then mostly
    no longer count in the import's peak, and memory freed and taken again within the second is
    reused without new page faults. Measured at 2,000 clients (a fresh process, quiet machine):
    decay 0 s: 3.95 s, 2.0 s of it system time, peak 1,186 MiB; 1 s: 3.15 s, 1.0 s system,
    1,342 MiB; 10 s: 3.07 s, 1,586 MiB (over the 1.5 GiB goal); Arrow's default pool
    (mimalloc): peak 1,350-1,460 MiB. The default pool is restored after the read; jemalloc's
    decay stays at 1 s for the process (Arrow cannot read the earlier value back), which only
    matters to memory later given to jemalloc."""
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(1000)
    except NotImplementedError:
        yield
        return
    default = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(default)


@_arrow_memory_given_back()
def read_inputs(
    folder: Path,
    workspace_root: Path,
    period_start: date,
    period_end: date,
    *,
    decimal_mark: str = ".",
    date_order: str = "MDY",
    profiles: tuple[Format, ...] = (),
) -> Inputs:
    """Read every export (CSV or workbook) in ``folder`` (a period's inputs).

    Each file is read with :func:`~workbench.sources.reading.read_table`. Blank rows and the
    total rows at the end of a file become excluded records ("blank row", "total row") with
    their own row numbers, so importers see only data rows. Files that are not exports
    (:func:`not_an_export`: ``Thumbs.db``, ``desktop.ini``, ``.DS_Store``, Excel's ``~$`` lock
    files, hidden files) are listed with side ``ignored`` and the reason, and not read. A file
    identical (same sha256) to
    one before it is not imported again (nor read, when its checksum is known in time; its read
    errors are not its own): it is listed with side ``duplicate`` and its rows become
    excluded records pointing at the first file. A record held by two files (or twice by one),
    known by its format's natural key, counts once (:mod:`workbench.sources.overlap`). An
    Autotask entity may come in several exports. Id columns Excel is known to damage are checked
    (:data:`EXCEL_DAMAGE_CHECKS`).

    Parameters
    ----------
    folder
        The period's input folder.
    workspace_root
        Source files are named relative to it in provenance columns.
    period_start, period_end
        The billing period, inclusive.
    decimal_mark
        The workspace's decimal mark, for files whose numbers do not show theirs.
    date_order
        The workspace's date order (``MDY`` or ``DMY``) for importers whose dates are ambiguous.
    profiles
        The workspace's import profiles, recognised like the built-in formats.
    """
    why_not = {
        path: not_an_export(path.relative_to(folder))
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    ignored = [
        {
            "source_file": path.relative_to(workspace_root).as_posix(),
            "format": f"not an export, ignored: {reason}",
            "side": "ignored",
            "rows_read": 0,
            "sha256": file_checksum(path),
        }
        for path, reason in why_not.items()
        if reason
    ]
    paths = [path for path, reason in why_not.items() if not reason]
    if not paths:
        raise InputError(
            folder, "no input files for this period", expected="the period's exports in this folder"
        )
    usage_frames: list[pd.DataFrame] = []
    contract_frames: list[pd.DataFrame] = []
    entities: dict[str, list[pd.DataFrame]] = {}
    files = []
    excluded_usage: list[pd.DataFrame] = []
    excluded_lines: list[pd.DataFrame] = []
    # Per checksum: the file that held it first, its side, its rows and its canonical records.
    first_of: dict[str, tuple[str, str, int, list[pd.DataFrame]]] = {}

    def read(path: Path) -> RawTable:
        return read_table(
            path,
            decimal_mark=decimal_mark,
            recognise=lambda cells: _known_header(cells, profiles),
            sha256="",  # hashed on a thread of its own, and set once known
            columns=lambda header: _columns_read(header, profiles),
        )

    def import_table(table: RawTable, path: Path) -> _FileImport:
        # On an importing thread: everything here is this file's alone.
        fmt = detect(table, profiles)
        context = ReadContext(
            path.relative_to(workspace_root).as_posix(),
            period_start,
            period_end,
            date_order,
            key_prefix=fmt.key,
        )
        skipped = _skipped_rows(table)
        content = (
            table.only(np.setdiff1d(np.arange(len(table.frame)), list(skipped)))
            if skipped
            else table
        )
        for name, kind in EXCEL_DAMAGE_CHECKS.get(fmt.key, ()):
            found = optional_column(content, name)
            if found:
                check_excel_damage(content, found, kind)
        canonical = fmt.read(content, context)
        leftover = _skipped_records(table, skipped, fmt, canonical, context)
        rows_read = len(table.frame)
        # A large export's cells are not kept beside its records, nor beside the next export's:
        # Arrow's pool keeps the memory it freed unless asked to give it back.
        del table, content
        canonical = _with_format_keys(canonical, fmt)
        pa.default_memory_pool().release_unused()
        hashes = (
            overlap.key_hashes(canonical["record_key"])
            if "record_key" in canonical
            else np.zeros(0, dtype=np.int64)
        )
        return _FileImport(fmt, canonical, leftover, rows_read, hashes)

    usage_hashes: list[np.ndarray] = []
    for path, checksum, imported in _imported_ahead(paths, read, import_table):
        source_file = path.relative_to(workspace_root).as_posix()
        if imported is None:
            first_file, side, rows_read, records = first_of[checksum]
            if records:
                read_before = pd.concat(_nonempty(records) or records[-1:], ignore_index=True)
                copy = _as_duplicate(read_before, source_file, first_file)
                (excluded_usage if side == "usage" else excluded_lines).append(copy)
            files.append(
                {
                    "source_file": source_file,
                    "format": f"duplicate of {first_file}",
                    "side": "duplicate",
                    "rows_read": rows_read,
                    "sha256": checksum,
                }
            )
            continue
        fmt, canonical, leftover = imported.fmt, imported.canonical, imported.leftover
        if fmt.side == "usage":
            usage_frames.append(canonical)
            excluded_usage.append(leftover)
            usage_hashes.append(imported.key_hashes)
        elif fmt.side == "contract":
            contract_frames.append(canonical)
            excluded_lines.append(leftover)
        else:
            entities.setdefault(fmt.key, []).append(canonical)
            if fmt.key == autotask.CONTRACT_SERVICE_UNITS.key:
                excluded_lines.append(leftover)
        first_of[checksum] = (
            source_file,
            fmt.side,
            imported.rows_read,
            [canonical, leftover] if fmt.side != "psa-entity" else [],
        )
        files.append(
            {
                "source_file": source_file,
                "format": fmt.title,
                "side": fmt.side,
                "rows_read": imported.rows_read,
                "sha256": checksum,
            }
        )
        del imported
    if not entities and not contract_frames:
        raise InputError(
            folder,
            "no PSA export for this period",
            expected="what the PSA bills: Autotask exports, or another PSA's contract lines",
        )
    catalogues = [Catalogue.from_contract_lines(frame) for frame in _nonempty(contract_frames)]
    psa_lines = _nonempty(contract_frames)
    if entities:
        autotask_lines, autotask_catalogue = autotask.assemble(
            {key: pd.concat(frames, ignore_index=True) for key, frames in entities.items()},
            period_start,
            period_end,
        )
        psa_lines.insert(0, autotask_lines)
        catalogues.insert(0, autotask_catalogue)
    psa_lines = _nonempty(psa_lines + excluded_lines)
    contract_lines = (
        pd.concat(psa_lines, ignore_index=True) if psa_lines else _empty(CONTRACT_LINE_COLUMNS)
    )
    catalogue = (
        Catalogue.combine(catalogues)
        if catalogues
        else Catalogue.from_contract_lines(contract_lines)
    )
    files.extend(ignored)
    usage_frames = _nonempty(usage_frames + excluded_usage)
    usage = pd.concat(usage_frames, ignore_index=True) if usage_frames else _no_usage()
    contract_lines = overlap.count_once(contract_lines, overlap.CONTRACT_VALUES)
    # Every usage record with a key came from a file read above (a copy's and a skipped row's
    # keys are blank): its keys were hashed as it was read.
    usage = overlap.count_once(usage, overlap.USAGE_VALUES, usage_hashes)
    contract_lines, usage = contract_lines[CONTRACT_LINE_COLUMNS], usage[USAGE_COLUMNS]
    # Checked as they are: pandera's validate would copy two million rows to coerce them.
    check_frame(ContractLineSchema, contract_lines, name="contract_lines")
    check_frame(UsageSchema, usage, name="usage")
    return Inputs(
        contract_lines=contract_lines,
        usage=usage,
        catalogue=catalogue,
        files=pd.DataFrame.from_records(files),
    )
