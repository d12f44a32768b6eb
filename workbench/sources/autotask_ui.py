"""Autotask contract service units exported from the web UI: one flattened file, human labels.

Where the API exports are five entities joined by id (:mod:`workbench.sources.autotask`), a UI
export is one table labelled for people: the company (``Company Name``, or ``Account Name`` in
older and renamed screens), ``Contract Name``, ``Service Name``, ``Units``, ``Unit Price``,
``Unit Cost``, ``Start Date``, ``End Date``, and the ids when the view shows them
(``Company ID``/``Account ID``, ``Contract ID``, ``Service ID``, ``Contract Service ID``).
Each row becomes one contract line for its units; rows whose dates fall outside the billing
period stay in the frame, excluded with the reason, as in the API importer.

Where an id column is missing its name stands in (the company name as company id, and so on),
so mappings name those companies and services as the export does. Dates follow the workspace's
date order, M/D/YYYY by default, as Autotask writes them for US users.
"""

from __future__ import annotations

import pandas as pd

from workbench.sources import contract_lines, reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

PSA = "autotask"


def _ids(
    table: RawTable, labels: tuple[str, ...], blank: list[bool], fallback: list[str]
) -> list[str]:
    """The id column when the export shows it, else the names that stand in for ids."""
    found = reading.optional_column(table, *labels)
    return contract_lines.required_texts(table, found, blank, "an id") if found else fallback


def read_service_units(table: RawTable, context: ReadContext) -> pd.DataFrame:
    """UI-export rows as contract lines, one per row.

    Without a ``Contract Service ID`` column, ``contract_service_id`` is
    ``"{contract}|{service}|{row}"``: unique within the export, as one contract may bill the
    same service twice.
    """
    blank = reading.blank_rows(table)
    company = contract_lines.required_texts(
        table, reading.column(table, "Company Name", "Account Name"), blank, "a company name"
    )
    contract = contract_lines.required_texts(
        table, reading.column(table, "Contract Name"), blank, "a contract name"
    )
    service = contract_lines.required_texts(
        table, reading.column(table, "Service Name"), blank, "a service name"
    )
    company_id = _ids(table, ("Company ID", "Account ID"), blank, company)
    contract_id = _ids(table, ("Contract ID",), blank, contract)
    service_id = _ids(table, ("Service ID",), blank, service)
    contract_service_column = reading.optional_column(table, "Contract Service ID")
    contract_service_id = (
        contract_lines.required_texts(table, contract_service_column, blank, "an id")
        if contract_service_column
        else [
            f"{contract_id[position]}|{service_id[position]}|{table.row_number(position)}"
            for position in range(len(table.frame))
        ]
    )
    units = contract_lines.units(table, reading.column(table, "Units"), blank)
    unit_price = contract_lines.money(
        table, reading.column(table, "Unit Price"), blank, required=True
    )
    unit_cost = contract_lines.money(
        table, reading.column(table, "Unit Cost"), blank, required=False
    )
    start = reading.dates(table, reading.column(table, "Start Date"), context.date_order)
    end = reading.dates(table, reading.column(table, "End Date"), context.date_order)

    # A row is a contract service's units for a period: the contract service id when shown,
    # else the contract's service at its price (a contract may bill a service twice).
    keys = (
        reading.record_keys(contract_service_id, start)
        if contract_service_column
        else reading.record_keys(company_id, contract_id, service_id, start, unit_price)
    )

    records: list[dict[str, object]] = []
    for position in range(len(table.frame)):
        starts, ends = start[position], end[position]
        if blank[position]:
            reason = "blank row"
        elif (starts and starts > context.period_end) or (ends and ends < context.period_start):
            reason = "outside the billing period"
        else:
            reason = ""
        records.append(
            {
                **reading.provenance(table, context.source_file, position, reason, keys[position]),
                "psa": PSA,
                "company_id": company_id[position],
                "company_name": company[position],
                "contract_id": contract_id[position],
                "contract_name": contract[position],
                "contract_service_id": contract_service_id[position],
                "service_id": service_id[position],
                "service_name": service[position],
                "quantity": units[position],
                "unit_price": unit_price[position],
                "unit_cost": unit_cost[position],
            }
        )
    return contract_lines.lines_frame(records)


_SERVICE_COLUMNS = (
    "Contract Name",
    "Service Name",
    "Units",
    "Unit Price",
    "Unit Cost",
    "Start Date",
    "End Date",
)
# The company label is part of each signature so a UI export that also shows ids (Contract ID,
# Contract Service ID, Service ID) outranks the API ContractServiceUnits layout it resembles.
SERVICE_UNITS_COMPANY = Format(
    key="autotask-ui-service-units",
    title="Autotask contract services, UI export",
    side="contract",
    signature=("Company Name", *_SERVICE_COLUMNS),
    read=read_service_units,
)
SERVICE_UNITS_ACCOUNT = Format(
    key="autotask-ui-service-units-account",
    title="Autotask contract services, UI export (Account Name)",
    side="contract",
    signature=("Account Name", *_SERVICE_COLUMNS),
    read=read_service_units,
)
FORMATS = (SERVICE_UNITS_COMPANY, SERVICE_UNITS_ACCOUNT)
