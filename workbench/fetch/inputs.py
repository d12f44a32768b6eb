"""Where fetched records go: a period's inputs folder, one whole file at a time, and its log.

A fetched file is written beside the exports a person would drop there
(``periods/<YYYY-MM>/inputs/<source>/<file>.csv``), in the layout the importer of that format
reads, so the month is read, checksummed, sealed and traced to its file and row exactly as if
it had been downloaded by hand. Each file is written to a hidden temporary file in the same
folder and renamed over the old one only when complete: a fetch stopped part-way leaves the
file it was writing as it was (or absent), never half-written. Hidden files are not exports
(:func:`~workbench.sources.not_an_export`), so a temporary file a crash left behind never stops
the month, and the next fetch removes it.

Every file written, and every failure, is a line of the period's fetch log,
``periods/<YYYY-MM>/fetch-log.jsonl`` (JSON lines, beside the inputs, not among them): when, the
source, the requests made (methods and URLs, never a credential), the file, its records and its
SHA-256. A file whose log line matches its content is complete, so a fetch run again after a
failure keeps it and fetches only what is missing.

A period whose run was recorded in the ledger has sealed inputs (read-only, checksummed, see
:mod:`workbench.history`): fetching into it is refused before any request is made.
"""

from __future__ import annotations

import csv
import json
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError
from workbench.sources.reading import file_checksum
from workbench.workspace import Workspace

LOG_FILE = "fetch-log.jsonl"
_PARTIAL = ".part-"


class PeriodSealed(WorkbenchError):
    """The period's inputs were reconciled and recorded: they stay as they were."""


@dataclass(frozen=True)
class WrittenFile:
    """A file a fetch wrote (or kept, complete, from an earlier fetch).

    Attributes
    ----------
    source
        The system it came from.
    path
        Its path from the workspace root, as reconciliations name files.
    records
        Rows written (header not counted).
    kept
        Complete from an earlier fetch of the period, so not fetched again.
    """

    source: str
    path: str
    records: int
    kept: bool = False


class PeriodInputs:
    """The inputs folder of one period, as a fetch writes into it.

    Parameters
    ----------
    workspace, period
        The month fetched (``YYYY-MM``); its ``inputs`` folder is created if needed.
    """

    def __init__(self, workspace: Workspace, period: str) -> None:
        self.workspace = workspace
        self.period = period
        self.period_folder = workspace.period_folder(period)
        self.folder = self.period_folder / "inputs"
        self.log_path = self.period_folder / LOG_FILE

    def refuse_if_sealed(self) -> None:
        """Refuse a period whose run was recorded, or whose inputs a run made read-only.

        Raises
        ------
        PeriodSealed
            Naming the run (or the read-only file) and what to do instead.
        """
        from workbench.ledger import Ledger, ledger_path

        path = ledger_path(self.workspace)
        if path.exists():
            with Ledger.open(path) as ledger:
                runs = ledger.runs(self.period)
            if not runs.empty:
                last = runs.iloc[-1]
                raise PeriodSealed(
                    f"{self.period} is sealed: run {int(last['run_id'])} of "
                    f"{last['recorded_at']} reconciled its inputs and keeps them read-only, so "
                    "a fetch would change a month already reviewed. Nothing was fetched; fetch "
                    "a period that has not been run"
                )
        if self.folder.is_dir():
            for file in sorted(self.folder.rglob("*")):
                if file.is_file() and not stat.S_IMODE(file.stat().st_mode) & stat.S_IWUSR:
                    raise PeriodSealed(
                        f"{self.period} is sealed: {self._name(file)} is read-only (a run keeps "
                        "its inputs so). Nothing was fetched; fetch a period that has not been "
                        "run"
                    )

    def prepare(self) -> list[str]:
        """Create the inputs folder and remove temporary files an interrupted fetch left.

        Returns
        -------
        list of str
            The temporary files removed (paths from the workspace root).
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        removed = []
        for file in sorted(self.folder.rglob(f".*{_PARTIAL}*")):
            if file.is_file():
                file.unlink()
                removed.append(self._name(file))
        return removed

    def complete(self, relative: str) -> WrittenFile | None:
        """The file at ``relative`` (to the inputs folder) if an earlier fetch wrote it whole:
        its last log line for it says written, with the checksum it has now."""
        path = self.folder / relative
        if not path.is_file():
            return None
        name = self._name(path)
        written = None
        for entry in self.log():
            if entry.get("file") == name:
                written = entry if entry.get("status") == "written" else None
        if written is None or written.get("sha256") != file_checksum(path):
            return None
        return WrittenFile(str(written["source"]), name, int(written["records"]), kept=True)

    def write_csv(
        self,
        source: str,
        relative: str,
        columns: Sequence[str],
        rows: Iterable[Mapping[str, Any]],
        requests: Sequence[str],
    ) -> WrittenFile:
        """Write rows as a CSV file at ``relative`` (to the inputs folder), whole or not at all,
        and log it.

        Parameters
        ----------
        columns
            The header, in order; a key of a row not among them is appended after them.
        rows
            The records; a value is written as text (numbers exactly, booleans as true/false,
            nested values as JSON).
        requests
            The requests that fetched them, as shown (no credentials), for the log.
        """
        header = list(columns)
        materialised = list(rows)
        for row in materialised:
            header.extend(key for key in row if key not in header)
        path = self.folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}{_PARTIAL}{os.getpid()}")
        try:
            with partial.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\r\n")
                writer.writerow(header)
                for row in materialised:
                    writer.writerow([_text(row.get(name)) for name in header])
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        written = WrittenFile(source, self._name(path), len(materialised))
        self.append_log(
            {
                "source": source,
                "status": "written",
                "file": written.path,
                "records": written.records,
                "sha256": file_checksum(path),
                "requests": list(requests),
            }
        )
        return written

    def append_log(self, entry: Mapping[str, Any]) -> None:
        """Add a line to the period's fetch log, stamped with the time (UTC)."""
        self.period_folder.mkdir(parents=True, exist_ok=True)
        line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
        with self.log_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")

    def log(self) -> list[dict[str, Any]]:
        """The fetch log's lines, oldest first (a line cut short by a crash is skipped)."""
        if not self.log_path.exists():
            return []
        entries = []
        for text in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(text)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def _name(self, path: Path) -> str:
        return path.relative_to(self.workspace.root).as_posix()


def _text(value: Any) -> str:
    """A fetched value as CSV text, as the importers read it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def flattened(item: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """An API record with nested objects spread into ``parent.child`` columns
    (``deviceType.category``), as the vendors' own CSV exports name them."""
    flat: dict[str, Any] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flattened(value, f"{name}."))
        else:
            flat[name] = value
    return flat
