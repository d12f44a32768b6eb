"""PSA import files: approved and adjusted decisions as changes the PSA can take in.

From a review (:meth:`workbench.ledger.Ledger.review`: the lines to decide, each with the
decision in force), every approved or adjusted line whose billed quantity should change becomes
one row:

* **Autotask** contract service adjustments, in the API's field names: ``contractID, serviceID,
  effectiveDate, unitChange, adjustedUnitPrice, adjustedUnitCost``. Autotask has no CSV import
  for them, so the file is what a script or integration posts to ``ContractServiceAdjustments``.
* **ConnectWise** agreement additions: ``agreementId, productIdentifier, quantity, unitPrice,
  unitCost, billCustomer, effectiveDate``, one addition per change (``quantity`` is the change,
  negative to take units away). The flattened export the workbench reads names agreements, not
  their numeric ids, so ``agreementId`` holds the agreement's name.

The ids are the contract lines' own: Autotask's API entity exports give numeric contract and
service ids; its UI export names the contract instead, and that name is what ``contractID``
then holds, to be looked up before posting.

An approval bills the vendor count (the line's expected quantity); an adjustment bills the
reviewer's quantity. The change is that quantity less what is billed now; a change of nothing
writes no row. When the effective date is mid-period the prices follow each PSA's rule
(:mod:`workbench.effective`).

A service not yet on the client's contract (unbilled usage) is proposed as a new line, in its
own file and sheet, on the client's contract (the one holding most of its services). What
decides is whether the line has a contract (its ``contract_id``), never its billed quantity: a
service kept on the contract at 0 units (under-billed) changes that contract service. Dismissed,
pending and changed-since-decided lines write nothing; every decided line that writes nothing
is listed in :attr:`PsaImport.skipped` with the reason, so nothing is lost silently.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from numbers import Number
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from workbench.effective import EffectiveDate, effective_dates
from workbench.formula_guard import csv_text
from workbench.outputs.cells import cell, fit_columns, put_headers, put_value
from workbench.result import ADJUSTMENT_STATUSES, Reconciliation
from workbench.workspace import Workspace

#: The import file's columns per PSA, in the PSA's own field names.
IMPORT_COLUMNS = {
    "autotask": [
        "contractID",
        "serviceID",
        "effectiveDate",
        "unitChange",
        "adjustedUnitPrice",
        "adjustedUnitCost",
    ],
    "connectwise": [
        "agreementId",
        "productIdentifier",
        "quantity",
        "unitPrice",
        "unitCost",
        "billCustomer",
        "effectiveDate",
    ],
}
#: What each PSA calls the rows, for file and sheet names.
IMPORT_TITLES = {
    "autotask": ("contract-service-adjustments", "Contract service adjustments"),
    "connectwise": ("agreement-additions", "Agreement additions"),
}
#: Columns of :attr:`PsaImport.lines`: which line and decision each import row comes from.
LINE_COLUMNS = [
    "line_id",
    "kind",
    "company_name",
    "service_name",
    "status",
    "decision",
    "billed_quantity",
    "new_quantity",
    "change",
    "effective_date",
    "change_date",
    "contract_id",
    "note",
]
SKIPPED_COLUMNS = ["line_id", "company_name", "service_name", "decision", "reason"]
CHANGE = "change"  # kind of a row changing a service already on the contract
NEW_LINE = "new line"  # kind of a row proposing a service not on the contract yet
_DECIDED = ("approve", "adjust")
_MONEY = "0.00"


@dataclass(frozen=True)
class PsaImport:
    """The import rows for one PSA and one period.

    Attributes
    ----------
    psa
        ``autotask`` or ``connectwise``.
    period
        The period reviewed.
    changes
        Changes to services already on a contract, :data:`IMPORT_COLUMNS` of the PSA.
    new_lines
        Services proposed as new contract lines, same columns.
    lines
        One row per import row, changes first then new lines, in the same order:
        :data:`LINE_COLUMNS` (the reconciliation line and the decision behind it).
    """

    psa: str
    period: str
    changes: pd.DataFrame
    new_lines: pd.DataFrame
    lines: pd.DataFrame

    def file_names(self) -> dict[str, str]:
        """The files :func:`write_import_files` writes: ``changes``, ``new_lines``, ``workbook``."""
        slug = IMPORT_TITLES[self.psa][0]
        return {
            "changes": f"{self.psa}-{slug}-{self.period}.csv",
            "new_lines": f"{self.psa}-new-lines-proposed-{self.period}.csv",
            "workbook": f"{self.psa}-import-{self.period}.xlsx",
        }


@dataclass(frozen=True)
class ImportFiles:
    """Everything the approved and adjusted lines of one period write, for every PSA.

    Attributes
    ----------
    period
        The period reviewed.
    imports
        One :class:`PsaImport` per PSA with rows, by PSA name.
    skipped
        Approved or adjusted lines that write nothing, with the reason
        (:data:`SKIPPED_COLUMNS`).
    """

    period: str
    imports: tuple[PsaImport, ...]
    skipped: pd.DataFrame

    @property
    def rows(self) -> int:
        """Import rows written, changes and new lines, over every PSA."""
        return sum(len(each.lines) for each in self.imports)


def import_files(review: pd.DataFrame, result: Reconciliation, workspace: Workspace) -> ImportFiles:
    """Import rows for the approved and adjusted lines of a review, one set per PSA.

    Parameters
    ----------
    review
        :meth:`workbench.ledger.Ledger.review` of ``result``: lines with ``decision``,
        ``quantity`` and ``state``.
    result
        The reconciliation reviewed (its billed evidence tells each client's PSA).
    workspace
        Its billing settings give the effective dates; its files, the vendors' change dates.

    Returns
    -------
    ImportFiles
        The rows per PSA, and the decided lines that write nothing with the reason: every
        approved or adjusted line is in exactly one of them.
    """
    decided = review[review["decision"].isin(_DECIDED)].reset_index(drop=True)
    psa_of = _client_psa(result)
    contracts = _client_contracts(result)
    dates = effective_dates(result, workspace, decided["line_id"]).set_index("line_id")
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    skipped: list[dict[str, Any]] = []

    for record in decided.to_dict("records"):
        line = {str(key): value for key, value in record.items()}
        psa = psa_of.get(str(line["company_id"]), "")
        reason, new_quantity = _why_nothing(line, psa)
        if reason:
            skipped.append({**{k: line[k] for k in SKIPPED_COLUMNS[:-1]}, "reason": reason})
            continue
        change = new_quantity - line["billed_quantity"]
        effective = dates.loc[line["line_id"]]
        starts = EffectiveDate(effective["starts"], effective["share"], effective["change_date"])
        on_contract = bool(line["contract_id"])  # a line at 0 units has one: adjust it
        contract_id = line["contract_id"] or contracts.get(str(line["company_id"]), "")
        row = _IMPORT_ROW[psa](line, contract_id, change, starts)
        kind = CHANGE if on_contract else NEW_LINE
        per_kind = rows.setdefault(psa, {CHANGE: [], NEW_LINE: []})
        per_kind[kind].append(
            {
                "row": row,
                "line": {
                    "line_id": line["line_id"],
                    "kind": kind,
                    "company_name": line["company_name"],
                    "service_name": line["service_name"],
                    "status": str(line["status"]),
                    "decision": line["decision"],
                    "billed_quantity": line["billed_quantity"],
                    "new_quantity": new_quantity,
                    "change": change,
                    "effective_date": starts.starts,
                    "change_date": starts.change_date,
                    "contract_id": contract_id,
                    "note": line["note"],
                },
            }
        )

    imports = []
    for psa, per_kind in sorted(rows.items()):
        columns = IMPORT_COLUMNS[psa]
        imports.append(
            PsaImport(
                psa=psa,
                period=result.period,
                changes=pd.DataFrame([r["row"] for r in per_kind[CHANGE]], columns=columns),
                new_lines=pd.DataFrame([r["row"] for r in per_kind[NEW_LINE]], columns=columns),
                lines=pd.DataFrame(
                    [r["line"] for r in per_kind[CHANGE] + per_kind[NEW_LINE]],
                    columns=LINE_COLUMNS,
                ),
            )
        )
    return ImportFiles(
        result.period, tuple(imports), pd.DataFrame(skipped, columns=SKIPPED_COLUMNS)
    )


def _why_nothing(line: dict[str, Any], psa: str) -> tuple[str, Decimal]:
    """Why a decided line writes no import row (empty if it writes one), and the new quantity."""
    if line["state"] == "changed":
        return "the line changed since it was decided: decide it again", Decimal(0)
    if line["status"] not in ADJUSTMENT_STATUSES:
        return f"a {line['status']} finding changes no contract line", Decimal(0)
    if psa not in IMPORT_COLUMNS:
        return f"no import file is written for {psa or 'this PSA'}", Decimal(0)
    if line["decision"] == "adjust":
        new_quantity = Decimal(line["quantity"])
    else:
        new_quantity = Decimal(int(line["expected_quantity"]))
    if new_quantity == line["billed_quantity"]:
        return f"billing stays at {line['billed_quantity']}: nothing to change", new_quantity
    return "", new_quantity


def _autotask_row(
    line: dict[str, Any], contract_id: str, change: Decimal, starts: EffectiveDate
) -> dict[str, Any]:
    return {
        "contractID": contract_id,
        "serviceID": line["service_id"],
        "effectiveDate": starts.starts.isoformat(),
        "unitChange": change,
        "adjustedUnitPrice": starts.first_period_price(line["unit_price"], "autotask"),
        "adjustedUnitCost": starts.first_period_price(line["unit_cost"], "autotask"),
    }


def _connectwise_row(
    line: dict[str, Any], contract_id: str, change: Decimal, starts: EffectiveDate
) -> dict[str, Any]:
    return {
        "agreementId": contract_id,
        "productIdentifier": line["service_id"],
        "quantity": change,
        "unitPrice": starts.first_period_price(line["unit_price"], "connectwise"),
        "unitCost": starts.first_period_price(line["unit_cost"], "connectwise"),
        "billCustomer": "Billable",
        "effectiveDate": f"{starts.starts.isoformat()}T00:00:00Z",
    }


_IMPORT_ROW: dict[str, Callable[[dict[str, Any], str, Decimal, EffectiveDate], dict[str, Any]]] = {
    "autotask": _autotask_row,
    "connectwise": _connectwise_row,
}


def _client_psa(result: Reconciliation) -> dict[str, str]:
    """Each client's PSA, from the system of its billed evidence (the workspace's one PSA for a
    client with nothing billed yet)."""
    billed = result.evidence[result.evidence["side"] == "billed"]
    company_of = dict(zip(result.lines["line_id"], result.lines["company_id"], strict=True))
    by_client = {
        str(company_of.get(line_id, "")): str(system)
        for line_id, system in zip(billed["line_id"], billed["system"], strict=True)
    }
    systems = set(by_client.values())
    only = systems.pop() if len(systems) == 1 else ""
    return {str(c): by_client.get(str(c), only) for c in result.clients["company_id"]}


def _client_contracts(result: Reconciliation) -> dict[str, str]:
    """Each client's main contract: the one holding most of its services (lowest id on a tie)."""
    lines = result.lines[result.lines["contract_id"] != ""]
    counts = Counter(zip(lines["company_id"], lines["contract_id"], strict=True))
    main: dict[str, tuple[int, str]] = {}
    for (company, contract), count in sorted(counts.items()):
        if company not in main or count > main[company][0]:
            main[company] = (count, contract)
    return {company: contract for company, (_, contract) in main.items()}


def import_csv(rows: pd.DataFrame) -> str:
    """Import rows as CSV text: the PSA's field names as header, amounts to the cent.

    Parameters
    ----------
    rows
        :attr:`PsaImport.changes` or :attr:`PsaImport.new_lines`.

    Returns
    -------
    str
        CSV with CRLF line ends (as Excel writes it), amounts as plain decimals (``14.48``,
        ``-3``), dates as ISO text. A text field (an agreement or contract name, a product id)
        that starts with a formula character gets a leading ``'`` (:func:`csv_text`); amounts
        are numbers and never do.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(rows.columns)
    for record in rows.itertuples(index=False):
        writer.writerow([_csv_value(value) for value in record])
    return buffer.getvalue()


def _csv_value(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, Number) and not isinstance(value, bool):
        return str(value)  # a number (numpy's too) is written as one, never prefixed
    return csv_text(_text(value))


def _text(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def write_import_files(psa_import: PsaImport, folder: Path) -> list[Path]:
    """Write the changes and the proposed new lines as CSV, and both in one workbook.

    Parameters
    ----------
    psa_import
        The rows of one PSA.
    folder
        Where the files go (created if needed); names from :meth:`PsaImport.file_names`.

    The workbook has a sheet of changes, a sheet of proposed new lines (titled as proposals)
    and a ``Lines`` sheet naming the client, service and decision behind every row. Text is
    stored as text, so a name starting with ``=`` never becomes a formula.

    Returns
    -------
    list of Path
        The CSV of changes, the CSV of proposed new lines, the workbook.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = psa_import.file_names()
    written = []
    for key, rows in (("changes", psa_import.changes), ("new_lines", psa_import.new_lines)):
        path = folder / names[key]
        path.write_text(import_csv(rows), encoding="utf-8", newline="")
        written.append(path)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = IMPORT_TITLES[psa_import.psa][1]
    _write_sheet(sheet, psa_import.changes)
    _write_sheet(workbook.create_sheet("New lines (proposed)"), psa_import.new_lines)
    _write_sheet(workbook.create_sheet("Lines"), psa_import.lines)
    path = folder / names["workbook"]
    workbook.save(path)
    written.append(path)
    return written


def _write_sheet(sheet: Worksheet, rows: pd.DataFrame) -> None:
    numbers = [
        name
        for name in rows.columns
        if len(rows)
        and all(
            isinstance(value, Decimal | int) and not isinstance(value, bool) for value in rows[name]
        )
    ]
    put_headers(sheet, list(rows.columns), numbers)
    for row, record in enumerate(rows.itertuples(index=False), start=2):
        for column, value in enumerate(record, start=1):
            if isinstance(value, Decimal):
                money = value.as_tuple().exponent == -2
                put_value(cell(sheet, row, column), value, _MONEY if money else "0")
            else:
                put_value(cell(sheet, row, column), _plain(value))
    fit_columns(sheet)


def _plain(value: object) -> object:
    """Numbers stay numbers; dates and everything else become text (kept text by the cell)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _text(value) or None
