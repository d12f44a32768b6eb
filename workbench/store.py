"""The period store: a month's canonical inputs and its reconciliation, kept as Parquet.

Reading a month's exports is most of the time a month takes (two minutes at 2,000 clients);
every face (CLI, notebooks, dashboard, review, export) reads the store instead, and the batch's
kernels render from it. Layout, in the workspace::

    periods/<period>/store/inputs-<id>/    the canonical inputs: contract_lines, usage, companies,
                                           services, files, customer_links (.parquet) and
                                           manifest.json
    periods/<period>/store/result-<id>/    the reconciliation: lines, evidence, coverage,
                                           excluded, clients, customer_matches, files (.parquet)
                                           and manifest.json

``<id>`` is a digest of what the snapshot was made from: for inputs, every input file's checksum,
``workspace.toml``, the import profiles, the workbench version and the store's format; for a
result, its inputs' id, ``mappings.xlsx`` and the version. A snapshot is therefore used only
for exactly what made it: anything changed gives another id, so the month is read or reconciled
again (and :func:`changes_since` says what changed). A mappings edit reuses the stored inputs.

Frames keep their exact types: text (dictionary-encoded text too), whole numbers (nullable
ones too), floats, statuses and exact money (:class:`~decimal.Decimal`, stored as its text, so
``26.40`` stays ``26.40``). No pickle: a store holds data only, so opening one never runs code
from it. Snapshots are written to a hidden folder and renamed whole, so a reader never sees half
a snapshot, and two processes writing the same snapshot at once leave one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Collection, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workbench import text_codes
from workbench.errors import WorkbenchError
from workbench.mapping import MappingWarning
from workbench.result import RESULT_SCHEMAS, Reconciliation, Status, encoded_text
from workbench.sources import Inputs
from workbench.sources.autotask import Catalogue
from workbench.sources.reading import file_checksum
from workbench.sources.schemas import CONTRACT_LINE_COLUMNS, USAGE_COLUMNS
from workbench.workspace import Workspace

#: Bumped whenever a snapshot's layout changes: older snapshots are then made again. (The
#: canonical and result columns are part of every fingerprint too, so a new column is never
#: read from an older snapshot even if this is forgotten.)
STORE_FORMAT = "workbench-period-store-3"
STORE_FOLDER = "store"
MANIFEST = "manifest.json"
#: Snapshots of each kind kept per period: the current one and the one before, for comparing.
KEPT = 2


#: The columns of every stored frame, as this version of the workbench declares them.
_COLUMNS = {
    "usage": USAGE_COLUMNS,
    "contract_lines": CONTRACT_LINE_COLUMNS,
    **{name: list(schema.to_schema().columns) for name, schema in RESULT_SCHEMAS.items()},
}


#: Text columns of the canonical frames read back with their codes (:mod:`workbench.text_codes`):
#: the keys, names and provenance the reconciliation groups and shows rows by. Their values
#: repeat, so Parquet keeps them dictionary-encoded; an id of one row (``record_key``) is read
#: as plain text.
_DICTIONARY_COLUMNS = {
    "usage": (
        "source_file",
        "source_sheet",
        "excluded_reason",
        "vendor",
        "customer_key",
        "customer_name",
        "sku",
        "sku_name",
    ),
    "contract_lines": (
        "source_file",
        "source_sheet",
        "excluded_reason",
        "psa",
        "company_id",
        "company_name",
        "service_id",
        "service_name",
    ),
}


def _version() -> str:
    from workbench import __version__

    return __version__


# -- frames as Parquet ------------------------------------------------------------------------


def _kind(series: pd.Series) -> str:
    """How a column is stored: its pandas dtype, or what its Python objects are."""
    dtype = series.dtype
    if isinstance(dtype, pd.Int64Dtype):
        return "Int64"
    if dtype == np.int64:
        return "int64"
    if dtype == np.float64:
        return "float64"
    if dtype == np.bool_:
        return "bool"
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    values = [value for value in series.head(1000) if value is not None and value == value]
    if values and all(isinstance(value, Status) for value in values):
        return "status"
    if values and all(isinstance(value, Decimal) for value in values):
        return "decimal"
    if not values and pd.api.types.is_object_dtype(dtype):
        return "decimal"  # an object column with nothing in it: money columns are the only ones
    if all(isinstance(value, str) for value in values):
        return "str"
    kinds = sorted({type(value).__name__ for value in values})
    raise TypeError(f"column {series.name!r} holds {', '.join(kinds)}: not a stored kind")


def _to_arrow(series: pd.Series, kind: str) -> pa.Array:
    if kind in {"int64", "float64", "bool"}:
        return pa.array(series.to_numpy())
    if kind == "Int64":
        return pa.array(
            [None if pd.isna(value) else int(value) for value in series], type=pa.int64()
        )
    if kind == "category":
        return pa.array(series.array).cast(_ARROW_TYPES["category"])
    if kind == "str" and hasattr(series.array, "__arrow_array__"):
        # Arrow-backed text (the canonical frames' two million rows) is handed to the writer as
        # Arrow holds it: no Python string per row and no copy beside the frame being stored.
        return pa.array(series.array, type=pa.large_string())
    values = series.to_numpy(dtype=object)
    if kind in {"decimal", "status"}:
        return pa.array(
            [None if value is None or value != value else str(value) for value in values],
            type=pa.string(),
        )
    return pa.array(values, type=pa.large_string())


def _from_arrow(column: pa.ChunkedArray, kind: str) -> pd.Series:
    if kind in {"int64", "float64", "bool"}:
        return pd.Series(column.to_numpy(), dtype=kind)
    if kind == "Int64":
        return pd.Series(column.to_pylist(), dtype="Int64")
    if kind == "str" and pa.types.is_dictionary(column.type):
        return _remembered_text(column)
    if kind == "str":
        # Arrow-backed text keeps the buffers just read: no Python string per cell.
        return pd.Series(pd.array(column, dtype="str"))
    if kind == "category":
        encoded = column.combine_chunks() if len(column) else pa.array([], _ARROW_TYPES[kind])
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        values = encoded.dictionary.to_numpy(zero_copy_only=False)
        return pd.Series(encoded_text([(codes, values, slice(None))], len(codes)))
    if kind == "decimal":
        # A month repeats a few prices and charges: each distinct amount is made once and
        # shared (a Decimal is immutable), which also spares hashing it again per row.
        encoded = pc.dictionary_encode(column).combine_chunks() if len(column) else None
        if encoded is None:
            return pd.Series([], dtype=object)
        amounts = np.empty(len(encoded.dictionary) + 1, dtype=object)
        amounts[:-1] = [Decimal(text) for text in encoded.dictionary.to_pylist()]
        amounts[-1] = None
        codes = encoded.indices.fill_null(len(encoded.dictionary)).to_numpy()
        return pd.Series(amounts[codes], dtype=object)
    texts = column.to_pylist()
    # Statuses come back as the members they were, so only an object column holds them.
    return pd.Series([Status(t) for t in texts], dtype=object)


def _remembered_text(column: pa.ChunkedArray) -> pd.Series:
    """A text column read as Parquet keeps it (its distinct texts and a code per row): the
    texts, and its codes remembered for the reconciliation (:mod:`workbench.text_codes`)."""
    # Each row group has its own dictionary: one dictionary for the whole column.
    unified = column.unify_dictionaries()
    text = pd.Series(pd.array(unified.cast(unified.type.value_type), dtype="str"))
    if len(unified) and not unified.null_count:
        values = unified.chunk(0).dictionary
        codes = np.concatenate(
            [chunk.indices.to_numpy(zero_copy_only=False) for chunk in unified.chunks]
        )
        text_codes.remember(
            text,
            text_codes.narrowest(codes, len(values)),
            values.to_numpy(zero_copy_only=False).astype(object),
        )
    return text


def write_frame(frame: pd.DataFrame, path: Path) -> dict[str, str]:
    """Write a frame as Parquet; returns its columns' kinds, for :func:`read_frame`."""
    kinds = {str(name): _kind(frame[name]) for name in frame.columns}
    table = pa.table(
        {name: _to_arrow(frame[name], kind) for name, kind in kinds.items()},
        schema=pa.schema(
            [
                (name, pa.int64() if kind in {"int64", "Int64"} else _ARROW_TYPES[kind])
                for name, kind in kinds.items()
            ]
        ),
    )
    pq.write_table(table, path, compression="zstd")
    return kinds


_ARROW_TYPES = {
    "category": pa.dictionary(pa.int32(), pa.string()),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    # Large text: what Arrow-backed text columns hold (pandas' own), so they are not copied.
    "str": pa.large_string(),
    "decimal": pa.string(),
    "status": pa.string(),
}


def read_frame(
    path: Path, kinds: Mapping[str, str], dictionary: Collection[str] = ()
) -> pd.DataFrame:
    """A frame written by :func:`write_frame`, with the same columns, types and values.

    The text columns named in ``dictionary`` are read as Parquet keeps them, and their codes
    remembered (:mod:`workbench.text_codes`).
    """
    read_encoded = [name for name in dictionary if kinds.get(name) == "str"]
    table = pq.read_table(path, read_dictionary=read_encoded or None)
    return pd.DataFrame(
        {name: _from_arrow(table.column(name), kind) for name, kind in kinds.items()},
        index=pd.RangeIndex(table.num_rows),
    )


# -- snapshots ---------------------------------------------------------------------------------


def _checksum(path: Path) -> str:
    """A file's SHA-256 ("" if there is none), computed again only when its size or
    modification time moved: a dashboard asks for the month on every click."""
    try:
        status = path.stat()
    except OSError:
        return ""
    return _checksum_of(path, status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _checksum_of(path: Path, size: int, modified_ns: int) -> str:
    return file_checksum(path)


def inputs_fingerprint(workspace: Workspace, period: str) -> dict[str, Any]:
    """What a period's canonical inputs are made from: every file of its input folder, the
    workspace's settings and import profiles, the workbench version and the store's format."""
    folder = workspace.inputs_folder(period)
    profiles = workspace.root / "profiles"
    return {
        "format": STORE_FORMAT,
        "workbench": _version(),
        "columns": _COLUMNS,
        "period": period,
        "inputs": {
            path.relative_to(workspace.root).as_posix(): _checksum(path)
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        },
        "settings": _checksum(workspace.root / "workspace.toml"),
        "profiles": {path.name: _checksum(path) for path in sorted(profiles.glob("*.toml"))}
        if profiles.is_dir()
        else {},
    }


def result_fingerprint(workspace: Workspace, inputs_id: str) -> dict[str, Any]:
    """What a reconciliation is made from: its inputs, the mappings, the settings (currency)
    and the workbench version."""
    return {
        "format": STORE_FORMAT,
        "workbench": _version(),
        "columns": _COLUMNS,
        "inputs": inputs_id,
        "mappings": _checksum(workspace.mappings_file),
        "settings": _checksum(workspace.root / "workspace.toml"),
    }


def _store_folder(workspace: Workspace, period: str) -> Path:
    return workspace.inputs_folder(period).parent / STORE_FOLDER


def _write_snapshot(
    folder: Path, frames: Mapping[str, pd.DataFrame], manifest: dict[str, Any]
) -> Path:
    """Write frames and manifest into a hidden folder, then rename it to ``folder`` whole."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.parent / f".{folder.name}.{uuid.uuid4().hex}.partial"
    partial.mkdir()
    try:
        manifest = {
            **manifest,
            "written": datetime.now(UTC).isoformat(timespec="seconds"),
            "frames": {
                name: {
                    "rows": len(frame),
                    "columns": write_frame(frame, partial / f"{name}.parquet"),
                }
                for name, frame in frames.items()
            },
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        try:
            os.rename(partial, folder)
        except OSError:
            if not (folder / MANIFEST).is_file():
                raise
            # Another process wrote the same snapshot first: its copy is the same data.
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    _keep_newest(folder.parent, folder.name.split("-", 1)[0])
    return folder


def _keep_newest(store: Path, kind: str) -> None:
    snapshots = sorted(
        (path for path in store.glob(f"{kind}-*") if (path / MANIFEST).is_file()),
        key=lambda path: (path / MANIFEST).stat().st_mtime_ns,
        reverse=True,
    )
    for stale in snapshots[KEPT:]:
        shutil.rmtree(stale, ignore_errors=True)


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        content: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return content if content.get("format") == STORE_FORMAT else None


def _read_frames(
    folder: Path, manifest: Mapping[str, Any], names: Collection[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The snapshot's frames (only those in ``names`` when given)."""
    try:
        return {
            name: read_frame(
                folder / f"{name}.parquet",
                described["columns"],
                _DICTIONARY_COLUMNS.get(name, ()),
            )
            for name, described in manifest["frames"].items()
            if names is None or name in names
        }
    except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
        raise WorkbenchError(
            f"the period store {folder} is damaged ({exc}): delete the folder and run again"
        ) from exc


def inputs_id(workspace: Workspace, period: str) -> str:
    """The id of a period's inputs as they are now (:func:`inputs_fingerprint`)."""
    return fingerprint_id(inputs_fingerprint(workspace, period))


def fingerprint_id(fingerprint: Mapping[str, Any]) -> str:
    """The short digest a snapshot made from ``fingerprint`` is named by."""
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:20]


def save_inputs(
    workspace: Workspace,
    period: str,
    inputs: Inputs,
    fingerprint: Mapping[str, Any] | None = None,
    links: pd.DataFrame | None = None,
) -> str:
    """Store a period's canonical inputs (unless stored already); returns their id.

    ``fingerprint`` is :func:`inputs_fingerprint` of the period when the caller has it;
    ``links`` the identifiers its vendor customers share across vendors
    (:mod:`workbench.customer_links`), read from the same exports and stored with them.
    """
    fingerprint = fingerprint or inputs_fingerprint(workspace, period)
    inputs_id = fingerprint_id(fingerprint)
    folder = _inputs_folder(workspace, period, inputs_id)
    if not (folder / MANIFEST).is_file():
        _write_snapshot(
            folder,
            {
                "contract_lines": inputs.contract_lines,
                "usage": inputs.usage,
                "companies": inputs.catalogue.companies.reset_index(drop=True),
                "services": inputs.catalogue.services.reset_index(drop=True),
                "files": inputs.files,
                **({"customer_links": links} if links is not None else {}),
            },
            {"format": STORE_FORMAT, "fingerprint": dict(fingerprint)},
        )
    return inputs_id


def _inputs_folder(workspace: Workspace, period: str, stored_id: str) -> Path:
    return _store_folder(workspace, period) / f"inputs-{stored_id}"


def _read_inputs(
    workspace: Workspace, period: str, stored_id: str, names: Collection[str] | None = None
) -> dict[str, pd.DataFrame] | None:
    """The frames of the inputs stored under ``stored_id`` (only those in ``names`` when
    given), None when they are not stored."""
    folder = _inputs_folder(workspace, period, stored_id)
    manifest = _read_manifest(folder)
    return None if manifest is None else _read_frames(folder, manifest, names)


def load_inputs(workspace: Workspace, period: str, stored_id: str) -> Inputs | None:
    """The period's inputs stored under ``stored_id`` (:func:`inputs_id`), if they are."""
    frames = _read_inputs(workspace, period, stored_id)
    if frames is None:
        return None
    return Inputs(
        contract_lines=frames["contract_lines"],
        usage=frames["usage"],
        catalogue=Catalogue(companies=frames["companies"], services=frames["services"]),
        files=frames["files"],
    )


def load_catalogue(workspace: Workspace, period: str, stored_id: str) -> Catalogue | None:
    """The PSA's companies and services of the inputs stored under ``stored_id``, without
    reading the month's usage and contract lines (the mapping review needs only these)."""
    frames = _read_inputs(workspace, period, stored_id, {"companies", "services"})
    if frames is None:
        return None
    return Catalogue(companies=frames["companies"], services=frames["services"])


def load_links(workspace: Workspace, period: str, stored_id: str) -> pd.DataFrame | None:
    """The customer links stored with the inputs under ``stored_id``, None when there are none
    (the inputs are not stored, or were stored without them)."""
    frames = _read_inputs(workspace, period, stored_id, {"customer_links"})
    return None if frames is None else frames.get("customer_links")


def newest_inputs_id(workspace: Workspace, period: str) -> tuple[str, str] | None:
    """The id of the period's most recently stored inputs and when they were stored (None
    when the store holds none)."""
    snapshots = [
        (str(manifest["written"]), path.name.removeprefix("inputs-"))
        for path, manifest in _snapshots(_store_folder(workspace, period), "inputs")
    ]
    if not snapshots:
        return None
    written, stored_id = max(snapshots)
    return stored_id, written


def _snapshots(store: Path, kind: str) -> list[tuple[Path, dict[str, Any]]]:
    """The whole snapshots of ``kind`` (``inputs``, ``result``) in a period's store, with
    their manifests."""
    return [
        (path, manifest)
        for path in store.glob(f"{kind}-*")
        if (manifest := _read_manifest(path)) is not None
    ]


def result_folder(workspace: Workspace, period: str, fingerprint: Mapping[str, Any]) -> Path:
    """Where the reconciliation made from ``fingerprint`` (:func:`result_fingerprint`) is
    stored."""
    return _store_folder(workspace, period) / f"result-{fingerprint_id(fingerprint)}"


def save_result(
    result: Reconciliation, folder: Path, fingerprint: Mapping[str, Any] | None = None
) -> Path:
    """Store a reconciliation in ``folder`` (read back by :func:`load_result`)."""
    if (folder / MANIFEST).is_file():
        return folder
    return _write_snapshot(
        folder,
        {name: getattr(result, name) for name in RESULT_SCHEMAS},
        {
            "format": STORE_FORMAT,
            "fingerprint": dict(fingerprint or {}),
            "period": result.period,
            "currency": result.currency,
            "mapping_warnings": [asdict(warning) for warning in result.mapping_warnings],
        },
    )


def load_result(folder: str | Path) -> Reconciliation:
    """A reconciliation stored by :func:`save_result`."""
    folder = Path(folder)
    manifest = _read_manifest(folder)
    if manifest is None:
        raise WorkbenchError(
            f"{folder} is not a stored reconciliation of this workbench version; run the "
            "batch again"
        )
    # Not checked against the result schemas again: :func:`~workbench.reconcile.reconcile`
    # checked it before it was stored, and every frame comes back with the columns and kinds
    # the manifest recorded (a second check took over a second at 2,000 clients).
    # The evidence (a row per source row) is read only when a face asks for it: the review
    # and the dashboard's first page show lines and totals.
    frames = _read_frames(folder, manifest, set(manifest["frames"]) - {"evidence"})
    return Reconciliation(
        period=str(manifest["period"]),
        currency=str(manifest["currency"]),
        mapping_warnings=tuple(
            MappingWarning(**warning) for warning in manifest.get("mapping_warnings", [])
        ),
        evidence=lambda: _read_frames(folder, manifest, {"evidence"})["evidence"],
        **frames,
    )


def load_result_once(folder: str | Path) -> Reconciliation:
    """:func:`load_result`, read once per process while the snapshot is the same.

    A batch kernel renders client after client from one stored result; each would otherwise
    read it again. Callers must not modify the shared result's frames.
    """
    resolved = Path(folder).resolve()
    try:
        written = (resolved / MANIFEST).stat().st_mtime_ns
    except OSError:
        return load_result(resolved)  # which explains what is wrong with the folder
    return _load_cached(resolved, written)


@functools.lru_cache(maxsize=4)
def _load_cached(folder: Path, written_ns: int) -> Reconciliation:
    return load_result(folder)


def forget_loaded() -> None:
    """Free the results :func:`load_result_once` keeps in this process."""
    _load_cached.cache_clear()


def is_stored(folder: Path) -> bool:
    """True when ``folder`` holds a whole snapshot of this store format."""
    return _read_manifest(folder) is not None


def changes_since(
    workspace: Workspace, period: str, now: Mapping[str, Any] | None = None
) -> list[str]:
    """What differs between the period as it is now and its newest stored snapshot, in words
    (empty when the store is current or holds nothing yet).

    ``now`` is :func:`inputs_fingerprint` of the period when the caller has it.
    """
    store = _store_folder(workspace, period)
    newest: dict[str, Any] | None = None
    for kind in ("inputs", "result"):
        candidates = [manifest for _, manifest in _snapshots(store, kind)]
        if candidates:
            newest = newest or {}
            newest[kind] = max(candidates, key=lambda manifest: str(manifest["written"]))
    if newest is None:
        return []
    now = now or inputs_fingerprint(workspace, period)
    said: list[str] = []
    before = newest.get("inputs", {}).get("fingerprint", {})
    if before:
        was, now_files = before.get("inputs", {}), now["inputs"]
        said += [f"added: {name}" for name in sorted(set(now_files) - set(was))]
        said += [f"removed: {name}" for name in sorted(set(was) - set(now_files))]
        said += [
            f"changed: {name}"
            for name in sorted(set(was) & set(now_files))
            if was[name] != now_files[name]
        ]
        if before.get("settings") != now["settings"]:
            said.append("changed: workspace.toml")
        if before.get("profiles") != now["profiles"]:
            said.append("changed: the import profiles")
        if before.get("workbench") != now["workbench"]:
            said.append(f"workbench version {before.get('workbench')} -> {now['workbench']}")
    result_before = newest.get("result", {}).get("fingerprint", {})
    if result_before and result_before.get("mappings") != _checksum(workspace.mappings_file):
        said.append("changed: mappings.xlsx")
    return said
