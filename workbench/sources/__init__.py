"""Sources: read a period's exports, whatever their names, into canonical frames.

Each file is recognised by its header (:data:`FORMATS`), read as text, and converted into
canonical rows with provenance. :func:`read_inputs` returns everything a reconciliation needs
plus, per file, how many rows were read and the file's checksum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from workbench.errors import InputError
from workbench.sources import autotask, datto_rmm, huntress, microsoft
from workbench.sources.autotask import Catalogue
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable, read_csv_text
from workbench.sources.schemas import (
    CONTRACT_LINE_COLUMNS,
    USAGE_COLUMNS,
    ContractLineSchema,
    UsageSchema,
)

FORMATS: tuple[Format, ...] = (
    microsoft.NEW_COMMERCE,
    datto_rmm.DEVICES,
    huntress.ORGANIZATIONS,
    *autotask.ENTITIES,
)

__all__ = ["FORMATS", "Catalogue", "Inputs", "ReadContext", "detect", "read_inputs"]


def detect(table: RawTable) -> Format:
    """The format whose signature the header holds; the most specific wins.

    Raises
    ------
    InputError
        Listing the closest known formats and the columns they would need.
    """
    complete = [fmt for fmt in FORMATS if not fmt.missing(table)]
    if complete:
        return max(complete, key=lambda fmt: len(fmt.signature))
    closest = sorted(FORMATS, key=lambda fmt: len(fmt.missing(table)) / len(fmt.signature))[:3]
    hints = "; ".join(f"{fmt.title} (missing {', '.join(fmt.missing(table))})" for fmt in closest)
    raise InputError(
        table.path,
        f"the header matches no known export. Closest: {hints}",
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


def _no_usage() -> pd.DataFrame:
    """An empty usage frame with the canonical types (a month with only PSA exports)."""
    types = {"source_row": "int64", "quantity": "int64", "amount": "object"}
    return pd.DataFrame({name: pd.Series(dtype=types.get(name, "str")) for name in USAGE_COLUMNS})


def read_inputs(folder: Path, workspace_root: Path, period_start: date, period_end: date) -> Inputs:
    """Read every CSV in ``folder`` (a period's inputs).

    Parameters
    ----------
    folder
        The period's input folder.
    workspace_root
        Source files are named relative to it in provenance columns.
    period_start, period_end
        The billing period, inclusive.
    """
    paths = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith((".", "~$"))
    )
    if not paths:
        raise InputError(
            folder, "no input files for this period", expected="the period's exports in this folder"
        )
    usage_frames: list[pd.DataFrame] = []
    contract_frames: list[pd.DataFrame] = []
    entities: dict[str, pd.DataFrame] = {}
    files = []
    for path in paths:
        if path.suffix.casefold() != ".csv":
            raise InputError(
                path,
                f"{path.suffix or 'a file without extension'} files are not read yet",
                expected="a .csv export",
            )
        table = read_csv_text(path)
        fmt = detect(table)
        context = ReadContext(path.relative_to(workspace_root).as_posix(), period_start, period_end)
        canonical = fmt.read(table, context)
        if fmt.side == "usage":
            usage_frames.append(canonical)
        elif fmt.side == "contract":
            contract_frames.append(canonical)
        elif fmt.key in entities:
            raise InputError(
                path,
                f"a second {fmt.title} export in the same period",
                expected="one file per Autotask entity",
            )
        else:
            entities[fmt.key] = canonical
        files.append(
            {
                "source_file": context.source_file,
                "format": fmt.title,
                "side": fmt.side,
                "rows_read": len(table.frame),
                "sha256": table.sha256,
            }
        )
    if not entities and not contract_frames:
        raise InputError(
            folder,
            "no PSA export for this period",
            expected="what the PSA bills: Autotask exports, or another PSA's contract lines",
        )
    catalogues = [Catalogue.from_contract_lines(frame) for frame in contract_frames]
    psa_lines = list(contract_frames)
    if entities:
        autotask_lines, autotask_catalogue = autotask.assemble(entities, period_start, period_end)
        psa_lines.insert(0, autotask_lines)
        catalogues.insert(0, autotask_catalogue)
    contract_lines = pd.concat(psa_lines, ignore_index=True)
    catalogue = Catalogue.combine(catalogues)
    usage = pd.concat(usage_frames, ignore_index=True) if usage_frames else _no_usage()
    return Inputs(
        contract_lines=ContractLineSchema.validate(contract_lines[CONTRACT_LINE_COLUMNS]),
        usage=UsageSchema.validate(usage[USAGE_COLUMNS]),
        catalogue=catalogue,
        files=pd.DataFrame.from_records(files),
    )
