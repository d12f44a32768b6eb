"""History: each period's inputs kept as they were reconciled, so a past month re-runs the same.

When a run reconciles a period, every file in ``periods/<YYYY-MM>/inputs/`` is recorded in the
ledger with its SHA-256 checksum (the run's ``inputs``) and made read-only. A later run of the
same period first compares the folder with what the last recorded run read: a file added, removed
or changed since is refused with a message naming each file, unless the person says the new
exports are right (``--accept-changed-inputs``). Mappings are not part of a period's inputs: they
are the workspace's and change as the MSP's clients do.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.ledger import Ledger
from workbench.result import Reconciliation
from workbench.sources import not_an_export
from workbench.sources.reading import file_checksum
from workbench.workspace import Workspace

#: Write permission for owner, group and others: what keeping a file read-only takes away.
WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


@dataclass(frozen=True)
class InputChanges:
    """How a period's input folder differs from what its last recorded run read.

    Attributes
    ----------
    run_id
        The last recorded run of the period, or ``None`` if it was never run with the ledger.
    recorded_at
        When that run was recorded (ISO 8601 UTC), ``""`` if never.
    added, removed, changed
        Input files (paths from the workspace root) new since, gone since, or with other content.
    checksums
        The folder as it is now, :func:`input_checksums`.
    """

    run_id: int | None
    recorded_at: str
    added: list[str]
    removed: list[str]
    changed: list[str]
    checksums: dict[str, str]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def describe(self) -> str:
        """The differences, one file per line, in words."""
        return "\n".join(
            [f"  changed: {name}" for name in self.changed]
            + [f"  added:   {name}" for name in self.added]
            + [f"  removed: {name}" for name in self.removed]
        )


def input_checksums(workspace: Workspace, period: str) -> dict[str, str]:
    """SHA-256 of every file in a period's input folder, keyed by its path from the workspace
    root (``periods/2026-10/inputs/datto_rmm/devices.csv``, as reconciliations name them).

    Files that are not exports (:func:`~workbench.sources.not_an_export`: ``Thumbs.db``,
    ``.DS_Store``, Excel's lock files) are not inputs and are left out.
    """
    folder = workspace.inputs_folder(period)
    return {
        path.relative_to(workspace.root).as_posix(): file_checksum(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not not_an_export(path.relative_to(folder))
    }


def compare_inputs(ledger: Ledger, workspace: Workspace, period: str) -> InputChanges:
    """What changed in a period's input folder since the period's last recorded run."""
    now = input_checksums(workspace, period)
    runs = ledger.runs(period)
    if runs.empty:
        return InputChanges(None, "", [], [], [], now)
    last = runs.iloc[-1]
    before: dict[str, str] = last["inputs"]
    return InputChanges(
        run_id=int(last["run_id"]),
        recorded_at=str(last["recorded_at"]),
        added=sorted(set(now) - set(before)),
        removed=sorted(set(before) - set(now)),
        changed=sorted(name for name in set(now) & set(before) if now[name] != before[name]),
        checksums=now,
    )


def check_inputs(
    ledger: Ledger, workspace: Workspace, period: str, *, accept_changed: bool = False
) -> InputChanges:
    """Refuse to re-run a period whose inputs changed since its last recorded run.

    Parameters
    ----------
    accept_changed
        The person has checked the new exports and wants the period reconciled from them.

    Returns
    -------
    InputChanges
        The differences (empty for a first run or unchanged inputs; shown when accepted).

    Raises
    ------
    WorkbenchError
        If the inputs changed and ``accept_changed`` is false; the message names every file.
    """
    changes = compare_inputs(ledger, workspace, period)
    if changes and not accept_changed:
        raise WorkbenchError(
            f"the inputs of {period} changed since run {changes.run_id} of "
            f"{changes.recorded_at}, so the month would no longer re-run to the result already "
            f"reviewed:\n{changes.describe()}\nput the original exports back, or run again with "
            "--accept-changed-inputs if the new ones are right"
        )
    return changes


def keep_inputs(workspace: Workspace, period: str, checksums: Mapping[str, str]) -> list[Path]:
    """Make a period's recorded input files read-only (for everyone) and return them."""
    kept = []
    for name in checksums:
        path = workspace.root / name
        try:
            os.chmod(path, stat.S_IMODE(path.stat().st_mode) & ~WRITE_BITS)
        except OSError as exc:
            raise WorkbenchError(
                f"cannot make {name} read-only ({exc.strerror}): the run was not recorded; "
                "ask the file's owner to run the period, or run it with --no-ledger"
            ) from exc
        kept.append(path)
    return kept


def record_period_run(
    ledger: Ledger,
    workspace: Workspace,
    result: Reconciliation,
    checksums: Mapping[str, str],
    *,
    who: str,
) -> int:
    """Record a run of a period in the ledger and keep its inputs read-only.

    Parameters
    ----------
    checksums
        :func:`input_checksums` taken before the run; every file the reconciliation read must
        still have the checksum it had then.

    Returns
    -------
    int
        The run's id in the ledger.

    Raises
    ------
    WorkbenchError
        If an input changed while the run was reading it.
    """
    read_files = result.files[result.files["side"] != "ignored"]
    for name, read in zip(read_files["source_file"], read_files["sha256"], strict=True):
        if checksums.get(str(name)) != str(read):
            raise WorkbenchError(
                f"{name} changed while the run of {result.period} was reading it: "
                "nothing was recorded; run the period again"
            )
    keep_inputs(workspace, result.period, checksums)
    return ledger.record_run(result, inputs=checksums, who=who)
