"""``workbench push``: approved and adjusted lines sent to the PSA through its API.

The changes are exactly the rows of the PSA import files (:mod:`workbench.outputs.psa_import`,
from the decisions in the ledger): an approval bills the vendor count, an adjustment the
reviewer's quantity, the change is that less what is billed now, with the effective date and
prices of the workspace's billing settings. Each row becomes one request:

* **Autotask**: ``POST /V1.0/ContractServiceAdjustments`` (:mod:`workbench.fetch.autotask`);
* **ConnectWise**: ``POST /finance/agreements/{id}/additions``
  (:mod:`workbench.fetch.connectwise`).

Without ``--apply`` nothing is sent: the requests are printed and saved
(``outputs/<period>/push-<psa>-<period>.json``), exactly as they would go. With it, each request
is sent and recorded in the ledger as soon as the PSA answers (:meth:`Ledger.record_push`), with
the id the PSA gave; a line the PSA has taken a change for is never sent again, so a second push
sends nothing twice. A request that fails is reported and recorded as failed, the others are
still sent, and the next push tries the failed ones again. Services proposed as new contract
lines (unbilled usage) are sent only with ``--include-new-lines``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.errors import WorkbenchError
from workbench.fetch import SOURCES
from workbench.fetch.http import CredentialsRefused, FetchError, json_text
from workbench.fetch.source import SourceContext
from workbench.ledger import Ledger, Pushed, ledger_path
from workbench.outputs.psa_import import CHANGE, PsaImport, import_files
from workbench.period import Period
from workbench.workspace import Workspace


@dataclass(frozen=True)
class PushRequest:
    """One change as a request to the PSA.

    Attributes
    ----------
    line_id, kind
        The reconciliation line behind it, and ``change`` or ``new line``.
    described
        The change in words: "Acme Dental Group, Managed workstation: +2 from 2026-11-01".
    method, url, body
        The request, exactly as it is (or would be) sent; no credential is part of it.
    """

    line_id: str
    kind: str
    described: str
    method: str
    url: str
    body: dict[str, Any]

    def as_sent(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "body": self.body}


@dataclass(frozen=True)
class PushOutcome:
    """What came of one request: sent (``psa_id``), failed (``error``), skipped (already sent,
    ``before``), or only shown (a dry run)."""

    request: PushRequest
    psa_id: str = ""
    error: str = ""
    before: Pushed | None = None


@dataclass
class PushReport:
    """A push of one period, every PSA.

    Attributes
    ----------
    applied
        Whether requests were sent (``--apply``) or only shown.
    outcomes
        Per PSA, one outcome per request, in order.
    held_back
        New lines not sent (no ``--include-new-lines``), per PSA.
    saved
        The files holding the requests, per PSA.
    """

    period: str
    applied: bool
    outcomes: dict[str, list[PushOutcome]] = field(default_factory=dict)
    held_back: dict[str, list[PushRequest]] = field(default_factory=dict)
    saved: dict[str, Path] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed and not any(
            outcome.error for outcomes in self.outcomes.values() for outcome in outcomes
        )

    def describe(self) -> str:
        """What was (or would be) sent, one request a line, then a summary per PSA."""
        lines = []
        for psa, outcomes in self.outcomes.items():
            sent = failed = skipped = 0
            for outcome in outcomes:
                request = outcome.request
                shown = f"{request.method} {request.url} {json_text(request.body)}"
                if outcome.before is not None:
                    skipped += 1
                    lines.append(
                        f"{psa}: already sent as {outcome.before.psa_id} on "
                        f"{outcome.before.pushed_at[:10]}: {request.described}"
                    )
                elif outcome.error:
                    failed += 1
                    lines.append(f"{psa}: FAILED {request.described}: {outcome.error}")
                elif outcome.psa_id:
                    sent += 1
                    lines.append(f"{psa}: sent as {outcome.psa_id}: {request.described}")
                else:
                    lines.append(f"{psa}: {request.described}\n  {shown}")
            for request in self.held_back.get(psa, []):
                lines.append(
                    f"{psa}: new line not sent (--include-new-lines sends it): {request.described}"
                )
            to_send = len(outcomes) - skipped
            if self.applied:
                lines.append(
                    f"{psa}, {self.period}: {sent} sent, {failed} failed, {skipped} already "
                    f"sent before; every one recorded in the ledger"
                )
            else:
                lines.append(
                    f"{psa}, {self.period}: dry run, nothing sent: {to_send} requests to send, "
                    f"{skipped} already sent before; saved in {self.saved[psa]}; --apply sends "
                    "them"
                )
        lines.extend(f"error: {message}" for message in self.failed.values())
        if not self.outcomes and not self.failed:
            lines.append(f"{self.period}: no approved or adjusted change to push")
        return "\n".join(lines)


#: What each PSA's module gives push: the request for an import row, and the id in an answer.
@dataclass(frozen=True)
class PsaApi:
    request: Callable[[SourceContext, dict[str, Any]], tuple[str, dict[str, Any]]]
    created_id: Callable[[Any], str]


def _psa_apis() -> dict[str, PsaApi]:
    from workbench.fetch import autotask, connectwise

    return {
        "autotask": PsaApi(
            lambda context, row: (autotask.adjustments_url(context), autotask.adjustment(row)),
            autotask.created_id,
        ),
        "connectwise": PsaApi(connectwise.addition_request, connectwise.created_id),
    }


def push_period(
    workspace: Workspace,
    period: str,
    *,
    apply: bool = False,
    include_new_lines: bool = False,
    outputs: Path = Path("outputs"),
    who: str,
) -> PushReport:
    """Push a period's approved and adjusted lines to the PSA (a dry run unless ``apply``).

    Parameters
    ----------
    apply
        Send the requests; otherwise only show and save them.
    include_new_lines
        Also send the services proposed as new contract lines.
    outputs
        The requests are saved in ``<outputs>/<period>/push-<psa>-<period>.json``.
    who
        Who pushes, for the ledger.

    Raises
    ------
    WorkbenchError
        When a PSA with changes has no ``[fetch.<psa>]`` table saying how to reach it.
    """
    month = Period.open(workspace, period)
    result = month.result()
    with Ledger.open(ledger_path(workspace)) as ledger:
        review = ledger.review(result)
        imports = import_files(review, result, workspace)
        report = PushReport(period, apply)
        apis = _psa_apis()
        for psa_import in imports.imports:
            psa = psa_import.psa
            if psa not in workspace.connections:
                raise WorkbenchError(
                    f"{len(psa_import.lines)} changes for {psa} are approved, but "
                    f"workspace.toml has no [fetch.{psa}] table saying how to reach its API"
                )
            context = SourceContext(workspace, period, workspace.connections[psa], SOURCES[psa])
            try:
                _push_one(report, ledger, context, apis[psa], psa_import, include_new_lines, who)
            except FetchError as exc:
                report.failed[psa] = str(exc)
            finally:
                context.close()
            report.saved[psa] = _save(report, psa, outputs, period)
    return report


def _push_one(
    report: PushReport,
    ledger: Ledger,
    context: SourceContext,
    api: PsaApi,
    psa_import: PsaImport,
    include_new_lines: bool,
    who: str,
) -> None:
    psa = psa_import.psa
    rows = pd.concat([psa_import.changes, psa_import.new_lines], ignore_index=True)
    already = ledger.sent(report.period, psa)
    outcomes = report.outcomes.setdefault(psa, [])
    for row, line in zip(rows.to_dict("records"), psa_import.lines.to_dict("records"), strict=True):
        url, body = api.request(context, {str(key): value for key, value in row.items()})
        change = int(line["change"])
        request = PushRequest(
            line_id=str(line["line_id"]),
            kind=str(line["kind"]),
            described=f"{line['company_name']}, {line['service_name']}: "
            f"{change:+d} from {line['effective_date']}"
            + ("" if line["kind"] == CHANGE else " (new line)"),
            method="POST",
            url=url,
            body=body,
        )
        if request.kind != CHANGE and not include_new_lines:
            report.held_back.setdefault(psa, []).append(request)
            continue
        if request.line_id in already:
            outcomes.append(PushOutcome(request, before=already[request.line_id]))
            continue
        if not report.applied:
            outcomes.append(PushOutcome(request))
            continue
        try:
            answer = context.client.request(
                request.method, request.url, json_body=request.body, creates=True
            )
            psa_id = api.created_id(answer.body)
        except CredentialsRefused:
            raise  # nothing can be sent: the push of this PSA stops, nothing recorded
        except FetchError as exc:
            error = context.client.scrub(str(exc))
            ledger.record_push(
                report.period,
                psa,
                request.line_id,
                request.kind,
                request.as_sent(),
                who=who,
                error=error,
            )
            outcomes.append(PushOutcome(request, error=error))
            continue
        ledger.record_push(
            report.period,
            psa,
            request.line_id,
            request.kind,
            request.as_sent(),
            who=who,
            psa_id=psa_id,
        )
        outcomes.append(PushOutcome(request, psa_id=psa_id))


def _save(report: PushReport, psa: str, outputs: Path, period: str) -> Path:
    """Save the requests (and, when sent, what came of each) as JSON."""
    folder = outputs / period
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"push-{psa}-{period}.json"
    saved = {
        "period": period,
        "psa": psa,
        "applied": report.applied,
        "requests": [
            {
                "line_id": outcome.request.line_id,
                "kind": outcome.request.kind,
                "change": outcome.request.described,
                **outcome.request.as_sent(),
                "outcome": (
                    "already sent"
                    if outcome.before is not None
                    else "failed"
                    if outcome.error
                    else "sent"
                    if outcome.psa_id
                    else "not sent (dry run)"
                ),
                "psa_id": outcome.psa_id or (outcome.before.psa_id if outcome.before else ""),
                "error": outcome.error,
            }
            for outcome in report.outcomes.get(psa, [])
        ],
        "new_lines_not_sent": [
            {"line_id": each.line_id, "change": each.described, **each.as_sent()}
            for each in report.held_back.get(psa, [])
        ],
    }
    partial = path.with_name(f".{path.name}.part")
    # One key, and one request, a line: readable, and every body exactly as sent.
    text = "{\n" + ",\n".join(
        f"  {json_text(key)}: "
        + (
            "[\n" + ",\n".join(f"    {json_text(each)}" for each in value) + "\n  ]"
            if isinstance(value, list) and value
            else json_text(value)
        )
        for key, value in saved.items()
    )
    partial.write_text(text + "\n}\n", encoding="utf-8")
    partial.replace(path)
    return path
