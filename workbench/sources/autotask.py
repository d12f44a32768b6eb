"""Autotask recurring-service billing, from API entity exports (API field names).

Billed quantity per period lives in ContractServiceUnits; the price in ContractServices
(``adjustedPrice`` when set, else ``unitPrice``); names in Contracts, Companies and Services.
Each ContractServiceUnits row becomes one contract line and keeps its own provenance; rows
outside the billing period, or of contracts that are inactive or not recurring-service
contracts, stay in the frame, excluded with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.errors import InputError
from workbench.sources import reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

PSA = "autotask"
RECURRING_SERVICE_CONTRACT = "7"
ACTIVE_CONTRACT = "1"


def _provenance(table: RawTable, source_file: str) -> dict[str, Any]:
    rows = len(table.frame)
    return {
        "source_file": reading.repeated_text(source_file, rows),
        "source_sheet": reading.repeated_text(table.sheet, rows),
        "source_row": reading.source_rows(table),
    }


def _text(table: RawTable, name: str) -> pd.api.extensions.ExtensionArray:
    return reading.stripped_text(table, reading.column(table, name))


def _dates(table: RawTable, name: str) -> np.ndarray:
    return reading.date_cells(table, reading.column(table, name), "ISO").per_row()


def _read_units(table: RawTable, context: ReadContext) -> pd.DataFrame:
    quantities = reading.integer_array(table, reading.column(table, "units"))
    negative = np.flatnonzero(quantities < 0)
    if len(negative):
        position = int(negative[0])
        raise InputError(
            table.path,
            f"{quantities[position]} units is negative",
            row=table.row_number(position),
            column="units",
            expected="0 or more units",
        )
    return pd.DataFrame(
        {
            "id": _text(table, "id"),
            "contract_id": _text(table, "contractID"),
            "contract_service_id": _text(table, "contractServiceID"),
            "service_id": _text(table, "serviceID"),
            "start_date": _dates(table, "startDate"),
            "end_date": _dates(table, "endDate"),
            "units": quantities,
            **_provenance(table, context.source_file),
        }
    )


def _read_contract_services(table: RawTable, context: ReadContext) -> pd.DataFrame:
    money = {
        name: reading.amount_cells(table, reading.column(table, name)).per_row()
        for name in ("unitPrice", "unitCost", "adjustedPrice")
    }
    return pd.DataFrame(
        {
            "id": _text(table, "id"),
            "unit_price": money["unitPrice"],
            "unit_cost": money["unitCost"],
            "adjusted_price": money["adjustedPrice"],
            **_provenance(table, context.source_file),
        }
    )


def _read_contracts(table: RawTable, context: ReadContext) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": _text(table, "id"),
            "company_id": _text(table, "companyID"),
            "contract_name": _text(table, "contractName"),
            "contract_type": _text(table, "contractType"),
            "status": _text(table, "status"),
            **_provenance(table, context.source_file),
        }
    )


def _read_companies(table: RawTable, context: ReadContext) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": _text(table, "id"),
            "company_name": _text(table, "companyName"),
            **_provenance(table, context.source_file),
        }
    )


def _read_services(table: RawTable, context: ReadContext) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": _text(table, "id"),
            "service_name": _text(table, "name"),
            "unit_price": pd.Series(
                reading.amounts(table, reading.column(table, "unitPrice")), dtype=object
            ),
            "unit_cost": pd.Series(
                reading.amounts(table, reading.column(table, "unitCost")), dtype=object
            ),
            **_provenance(table, context.source_file),
        }
    )


CONTRACT_SERVICE_UNITS = Format(
    key="autotask-contract-service-units",
    title="Autotask ContractServiceUnits",
    side="psa-entity",
    signature=(
        "id",
        "contractID",
        "contractServiceID",
        "serviceID",
        "startDate",
        "endDate",
        "units",
    ),
    read=_read_units,
)
CONTRACT_SERVICES = Format(
    key="autotask-contract-services",
    title="Autotask ContractServices",
    side="psa-entity",
    signature=(
        "id",
        "contractID",
        "serviceID",
        "unitPrice",
        "unitCost",
        "adjustedPrice",
        "invoiceDescription",
    ),
    read=_read_contract_services,
)
CONTRACTS = Format(
    key="autotask-contracts",
    title="Autotask Contracts",
    side="psa-entity",
    signature=("id", "companyID", "contractName", "contractType", "status"),
    read=_read_contracts,
)
COMPANIES = Format(
    key="autotask-companies",
    title="Autotask Companies",
    side="psa-entity",
    signature=("id", "companyName", "companyType"),
    read=_read_companies,
)
SERVICES = Format(
    key="autotask-services",
    title="Autotask Services",
    side="psa-entity",
    signature=("id", "name", "unitPrice", "unitCost", "periodType"),
    read=_read_services,
)
ENTITIES = (CONTRACT_SERVICE_UNITS, CONTRACT_SERVICES, CONTRACTS, COMPANIES, SERVICES)


@dataclass(frozen=True)
class Catalogue:
    """The PSA's companies and services, for names and list prices."""

    companies: pd.DataFrame  # company_id, company_name
    services: pd.DataFrame  # service_id, service_name, unit_price, unit_cost

    @classmethod
    def from_contract_lines(cls, lines: pd.DataFrame) -> Catalogue:
        """What a PSA export without a catalogue tells: its companies and its services' prices.

        A service's list price is taken from its first contract line.
        """
        return cls(
            companies=lines.drop_duplicates("company_id")[
                ["company_id", "company_name"]
            ].reset_index(drop=True),
            services=lines.drop_duplicates("service_id")[
                ["service_id", "service_name", "unit_price", "unit_cost"]
            ].reset_index(drop=True),
        )

    @classmethod
    def combine(cls, catalogues: list[Catalogue]) -> Catalogue:
        """One catalogue from several; the first to name a company or service wins."""
        return cls(
            companies=pd.concat(
                [c.companies for c in catalogues], ignore_index=True
            ).drop_duplicates("company_id"),
            services=pd.concat([c.services for c in catalogues], ignore_index=True).drop_duplicates(
                "service_id"
            ),
        )


_PROVENANCE = ["source_file", "source_sheet", "source_row"]


def _by_id(entity: pd.DataFrame, title: str) -> pd.DataFrame:
    """An entity export indexed by id. A row repeated (in one export or two) is one entity; the
    same id with other values is an error naming both rows."""
    if not entity["id"].duplicated().any():
        return entity.set_index("id")  # most months: each id once, so no row repeated either
    values = [column for column in entity.columns if column not in _PROVENANCE]
    entity = entity.drop_duplicates(values)
    duplicated = entity[entity["id"].duplicated()]
    if not duplicated.empty:
        again = duplicated.iloc[0]
        first = entity[entity["id"] == again["id"]].iloc[0]
        raise InputError(
            again["source_file"],
            f"id {again['id']!r} is also in {first['source_file']} row {first['source_row']} "
            f"of the {title} export, with other values",
            row=int(again["source_row"]),
            column="id",
            expected="each id once: remove the older export from the period's inputs",
        )
    return entity.set_index("id")


def _not_listed(origin: pd.Series, column: str, key: str, title: str) -> InputError:
    """A row (``origin``) whose ``column`` points at no entity of the ``title`` export."""
    return InputError(
        origin["source_file"],
        f"{column} {key!r} is not in the {title} export",
        row=int(origin["source_row"]),
        column=column,
        expected=f"an id listed in the {title} export of the same period",
    )


def _taken(entity: pd.DataFrame, name: str, at: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The text ``entity[name]`` at each of the positions ``at`` (every one of them found), as
    canonical text taken by Arrow."""
    return reading.canonical_text(pa.array(entity[name].array).take(at))


def assemble(
    entities: dict[str, pd.DataFrame], period_start: date, period_end: date
) -> tuple[pd.DataFrame, Catalogue]:
    """Join the entity exports into canonical contract lines and a catalogue.

    An entity may come in several exports (``entities`` holds them concatenated): a row repeated
    is one entity, and a ContractServiceUnits row repeated becomes a repeated record that
    :mod:`workbench.sources.overlap` counts once. Each ContractServiceUnits row follows its
    contract service, contract, service and the contract's company; the first row (in file
    order) that points nowhere, or whose contract service has no price, stops the month.
    """
    missing = [entity.title for entity in ENTITIES if entity.key not in entities]
    if missing:
        raise InputError(
            "Autotask exports",
            f"the period has Autotask files but not {', '.join(missing)}",
            expected="all five exports: ContractServiceUnits, ContractServices, Contracts, Companies, Services",
        )
    contract_services = _by_id(entities[CONTRACT_SERVICES.key], "ContractServices")
    contracts = _by_id(entities[CONTRACTS.key], "Contracts")
    companies = _by_id(entities[COMPANIES.key], "Companies")
    services = _by_id(entities[SERVICES.key], "Services")
    units = entities[CONTRACT_SERVICE_UNITS.key].reset_index(drop=True)

    # A contract service's price is its adjustedPrice when set (and not 0), else its unitPrice.
    prices = np.empty(len(contract_services), dtype=object)
    prices[:] = [
        adjusted or listed
        for adjusted, listed in zip(
            contract_services["adjusted_price"], contract_services["unit_price"], strict=True
        )
    ]
    costs = np.empty(len(contract_services), dtype=object)
    costs[:] = [cost or Decimal("0.00") for cost in contract_services["unit_cost"]]
    at_contract_service = contract_services.index.get_indexer(
        pd.Index(units["contract_service_id"])
    )
    at_contract = contracts.index.get_indexer(pd.Index(units["contract_id"]))
    at_service = services.index.get_indexer(pd.Index(units["service_id"]))
    company_of_contract = companies.index.get_indexer(pd.Index(contracts["company_id"]))
    at_company = np.full(len(units), -1)
    at_company[at_contract >= 0] = company_of_contract[at_contract[at_contract >= 0]]
    unpriced = np.zeros(len(units), dtype=bool)
    unpriced[at_contract_service >= 0] = np.asarray(
        [price is None for price in prices], dtype=bool
    )[at_contract_service[at_contract_service >= 0]]
    # Per unit row, its problems in the order they are looked for; the first row with one stops.
    problems = np.column_stack(
        [
            at_contract_service < 0,
            at_contract < 0,
            at_service < 0,
            (at_contract >= 0) & (at_company < 0),
            (at_contract_service >= 0) & unpriced,
        ]
    )
    if problems.any():
        position = int(np.argmax(problems.any(axis=1)))
        unit = units.iloc[position]
        problem = int(np.argmax(problems[position]))
        if problem == 0:
            raise _not_listed(
                unit, "contractServiceID", unit["contract_service_id"], "ContractServices"
            )
        if problem == 1:
            raise _not_listed(unit, "contractID", unit["contract_id"], "Contracts")
        if problem == 2:
            raise _not_listed(unit, "serviceID", unit["service_id"], "Services")
        contract = contracts.iloc[at_contract[position]]
        if problem == 3:
            raise _not_listed(contract, "companyID", contract["company_id"], "Companies")
        contract_service = contract_services.iloc[at_contract_service[position]]
        raise InputError(
            contract_service["source_file"],
            "the contract service has no unit price",
            row=int(contract_service["source_row"]),
            column="unitPrice",
            expected="a unit price, or an adjustedPrice",
        )

    outside = reading.distinct(units["start_date"]).map(
        lambda start: start is not None and start > period_end
    ) | reading.distinct(units["end_date"]).map(lambda end: end is not None and end < period_start)
    # Per row, its reason (the last that applies wins): none, outside the billing period, an
    # inactive contract, not a recurring service contract.
    reason = np.zeros(len(units), dtype=np.intp)
    reason[outside.astype(bool)] = 1
    reason[(contracts["status"] != ACTIVE_CONTRACT).to_numpy()[at_contract]] = 2
    reason[(contracts["contract_type"] != RECURRING_SERVICE_CONTRACT).to_numpy()[at_contract]] = 3
    reasons = reading.Distinct(
        [
            "",
            "outside the billing period",
            "contract is inactive",
            "not a recurring service contract",
        ],
        reason,
    )
    lines = pd.DataFrame(
        {
            "source_file": units["source_file"].array,
            "source_sheet": units["source_sheet"].array,
            "source_row": units["source_row"].to_numpy(dtype=np.int64),
            "excluded_reason": reasons.text_per_row(),
            # A ContractServiceUnits row is known by its id.
            "record_key": (f"{CONTRACT_SERVICE_UNITS.key}|" + units["id"]).array,
            "psa": reading.repeated_text(PSA, len(units)),
            "company_id": _taken(contracts, "company_id", at_contract),
            "company_name": _taken(companies, "company_name", at_company),
            "contract_id": units["contract_id"].array,
            "contract_name": _taken(contracts, "contract_name", at_contract),
            "contract_service_id": units["contract_service_id"].array,
            "service_id": units["service_id"].array,
            "service_name": _taken(services, "service_name", at_service),
            "quantity": units["units"].to_numpy(dtype=np.int64),
            "unit_price": prices[at_contract_service],
            "unit_cost": costs[at_contract_service],
        }
    )
    catalogue = Catalogue(
        companies=pd.DataFrame(
            {
                "company_id": companies.index.to_numpy(dtype=object),
                "company_name": companies["company_name"].to_numpy(dtype=object),
            }
        ),
        services=pd.DataFrame(
            {
                "service_id": services.index.to_numpy(dtype=object),
                "service_name": services["service_name"].to_numpy(dtype=object),
                "unit_price": services["unit_price"].to_numpy(dtype=object),
                "unit_cost": services["unit_cost"].to_numpy(dtype=object),
            }
        ),
    )
    return lines, catalogue
