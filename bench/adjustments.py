"""A consolidated reconciliation with many adjustment rows, to time the workbook writers on.

The lines are the demo's adjustments repeated under new line ids and client names until there
are ``count`` of them, each with its billed evidence row: the same text, numbers and statuses a
real month produces, at the size of a large MSP's consolidated workbook.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from workbench.result import Reconciliation


def many_adjustments(result: Reconciliation, count: int) -> Reconciliation:
    """``result`` with its adjustment lines repeated to ``count`` lines, one evidence row each.

    Parameters
    ----------
    result
        A reconciliation with at least one adjustment (the demo's has 12).
    count
        How many adjustment lines the returned reconciliation holds.

    Returns
    -------
    Reconciliation
        Lines, evidence and clients of the copies; coverage and exclusions as in ``result``.
    """
    template = result.adjustments
    if template.empty:
        raise ValueError("the reconciliation has no adjustments to repeat")
    copies = -(-count // len(template))  # rounded up
    lines = pd.concat([template] * copies, ignore_index=True).iloc[:count].copy()
    copy_number = (pd.RangeIndex(count) // len(template)).astype(str)
    lines["company_id"] = lines["company_id"] + "-" + copy_number
    lines["company_name"] = lines["company_name"] + " " + copy_number
    lines["line_id"] = lines["company_id"] + ":" + lines["service_id"]
    evidence = pd.DataFrame(
        {
            "line_id": lines["line_id"],
            "side": "billed",
            "source_file": "periods/2026-10/inputs/autotask/ContractServiceUnits.csv",
            "source_sheet": "",
            "source_row": pd.RangeIndex(2, count + 2),
            "system": "autotask",
            "customer": lines["company_name"],
            "item": lines["service_name"],
            "quantity": lines["billed_quantity"],
            "factor": "",
            "amount": lines["revenue_impact"],
        }
    )
    clients = lines[["company_id", "company_name"]].drop_duplicates().reset_index(drop=True)
    return replace(
        result,
        lines=lines.reset_index(drop=True),
        evidence=evidence.reset_index(drop=True),
        clients=clients,
        customer_matches=result.customer_matches.iloc[0:0],
    )
