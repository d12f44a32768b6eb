"""``workbench fetch``: the month's exports asked of the systems themselves.

For each system named under ``[fetch.<source>]`` in ``workspace.toml`` (or each ``--source``),
:func:`fetch_period` signs in with credentials looked up by name
(:mod:`workbench.fetch.credentials`), asks the API for the month's records
(:mod:`workbench.fetch.http`: timeouts, retries, rate limits, paging) and writes them into the
period's inputs folder as the files its importer reads, whole or not at all, with a line in the
period's fetch log for each (:mod:`workbench.fetch.inputs`). A system that fails is reported and
the others are still fetched; a fetch run again keeps every file already complete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from workbench.errors import WorkbenchError
from workbench.fetch import autotask, connectwise, datto_rmm, huntress, microsoft, pax8
from workbench.fetch.inputs import PeriodInputs, WrittenFile
from workbench.fetch.source import Source, SourceContext
from workbench.workspace import FETCH_SOURCES, Workspace

#: Every system the workbench fetches from, by name.
SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        autotask.SOURCE,
        connectwise.SOURCE,
        microsoft.SOURCE,
        datto_rmm.SOURCE,
        huntress.SOURCE,
        pax8.SOURCE,
    )
}

__all__ = ["SOURCES", "FetchReport", "fetch_period"]


@dataclass(frozen=True)
class FetchReport:
    """What a fetch did.

    Attributes
    ----------
    period
        The month fetched.
    written
        Files written, or kept complete from an earlier fetch (:attr:`WrittenFile.kept`).
    failed
        Per source that failed, its one-line error.
    removed
        Temporary files an interrupted fetch had left, removed.
    """

    period: str
    written: list[WrittenFile] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def describe(self) -> str:
        """One line per file and per failure, then a summary."""
        lines = [f"removed an unfinished file: {name}" for name in self.removed]
        for file in self.written:
            how = "kept (complete from an earlier fetch)" if file.kept else "written"
            lines.append(f"{file.source}: {file.path}: {file.records} records, {how}")
        lines.extend(f"error: {message}" for message in self.failed.values())
        fetched = len({file.source for file in self.written} - set(self.failed))
        lines.append(
            f"{self.period}: {fetched} sources fetched, {len(self.failed)} failed"
            + ("; run the fetch again to go on where it stopped" if self.failed else "")
        )
        return "\n".join(lines)


def fetch_period(
    workspace: Workspace,
    period: str,
    sources: Sequence[str] = (),
    *,
    again: bool = False,
    invoice: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> FetchReport:
    """Fetch a period's exports from the systems into its inputs folder.

    Parameters
    ----------
    sources
        The systems to fetch (default: every ``[fetch.<source>]`` of ``workspace.toml``).
    again
        Fetch every file again, even those a previous fetch completed.
    invoice
        Microsoft's invoice to export (its billed reconciliation); without it the month's
        unbilled export is asked for.
    progress
        Told each file as it is written.

    Raises
    ------
    WorkbenchError
        Before any request: a sealed period, a source not known or not set up.
    """
    inputs = PeriodInputs(workspace, period)
    names = list(sources) or [name for name in FETCH_SOURCES if name in workspace.connections]
    if not names:
        raise WorkbenchError(
            f"{workspace.root / 'workspace.toml'} names no system to fetch from: add a "
            "[fetch.<source>] table (see the README, Fetch and push)"
        )
    for name in names:
        if name not in SOURCES:
            raise WorkbenchError(
                f"{name!r} is not a system the workbench fetches from (known: {', '.join(SOURCES)})"
            )
        if name not in workspace.connections:
            raise WorkbenchError(
                f"workspace.toml has no [fetch.{name}] table saying how to reach {name}: add "
                f'one (at least credentials = "{name}")'
            )
    inputs.refuse_if_sealed()
    report = FetchReport(period, removed=inputs.prepare())
    for name in names:
        context = SourceContext(
            workspace, period, workspace.connections[name], SOURCES[name], invoice=invoice
        )
        try:
            for export in SOURCES[name].exports(context):
                kept = None if again else inputs.complete(export.file)
                if kept is not None:
                    report.written.append(kept)
                    continue
                rows = list(export.rows())  # every page, before anything is written
                written = inputs.write_csv(
                    name, export.file, export.columns, rows, context.requests_made()
                )
                report.written.append(written)
                if progress:
                    progress(f"{name}: {written.path}: {written.records} records")
        except WorkbenchError as exc:
            message = str(exc)
            if context._cache.get("credentials") is not None:
                message = context.credentials().scrub(message)
            report.failed[name] = message
            inputs.append_log(
                {
                    "source": name,
                    "status": "failed",
                    "error": message,
                    "requests": context.requests_made(),
                }
            )
        finally:
            context.close()
    return report
