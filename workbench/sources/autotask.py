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

import pandas as pd

from workbench.errors import InputError
from workbench.sources import reading
from workbench.sources.formats import Format
from workbench.sources.reading import RawTable

PSA = "autotask"
RECURRING_SERVICE_CONTRACT = "7"
ACTIVE_CONTRACT = "1"


def _entity_reader(columns: dict[str, tuple[str, ...]], money: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """A reader that keeps the named columns as text (money as Decimal) with provenance."""

    def read(table: RawTable, source_file: str) -> pd.DataFrame:
        frame = pd.DataFrame(
            {name: table.frame[reading.column(table, *aliases)].str.strip() for name, aliases in columns.items()}
        )
        for name in money:
            frame[name] = reading.amounts(table, reading.column(table, *columns[name]))
        frame["source_file"] = source_file
        frame["source_sheet"] = table.sheet
        frame["source_row"] = [table.row_number(position) for position in range(len(frame))]
        frame.attrs["table"] = table
        return frame

    return read


CONTRACT_SERVICE_UNITS = Format(
    key="autotask-contract-service-units",
    title="Autotask ContractServiceUnits",
    side="psa",
    signature=("id", "contractID", "contractServiceID", "serviceID", "startDate", "endDate", "units"),
    read=_entity_reader(
        {
            "id": ("id",),
            "contract_id": ("contractID",),
            "contract_service_id": ("contractServiceID",),
            "service_id": ("serviceID",),
            "start_date": ("startDate",),
            "end_date": ("endDate",),
            "units": ("units",),
        }
    ),
)
CONTRACT_SERVICES = Format(
    key="autotask-contract-services",
    title="Autotask ContractServices",
    side="psa",
    signature=("id", "contractID", "serviceID", "unitPrice", "unitCost", "adjustedPrice", "invoiceDescription"),
    read=_entity_reader(
        {
            "id": ("id",),
            "unit_price": ("unitPrice",),
            "unit_cost": ("unitCost",),
            "adjusted_price": ("adjustedPrice",),
        },
        money=("unit_price", "unit_cost"),
    ),
)
CONTRACTS = Format(
    key="autotask-contracts",
    title="Autotask Contracts",
    side="psa",
    signature=("id", "companyID", "contractName", "contractType", "status"),
    read=_entity_reader(
        {
            "id": ("id",),
            "company_id": ("companyID",),
            "contract_name": ("contractName",),
            "contract_type": ("contractType",),
            "status": ("status",),
        }
    ),
)
COMPANIES = Format(
    key="autotask-companies",
    title="Autotask Companies",
    side="psa",
    signature=("id", "companyName", "companyType"),
    read=_entity_reader({"id": ("id",), "company_name": ("companyName",)}),
)
SERVICES = Format(
    key="autotask-services",
    title="Autotask Services",
    side="psa",
    signature=("id", "name", "unitPrice", "unitCost", "periodType"),
    read=_entity_reader(
        {"id": ("id",), "service_name": ("name",), "unit_price": ("unitPrice",), "unit_cost": ("unitCost",)},
        money=("unit_price", "unit_cost"),
    ),
)
ENTITIES = (CONTRACT_SERVICE_UNITS, CONTRACT_SERVICES, CONTRACTS, COMPANIES, SERVICES)


@dataclass(frozen=True)
class Catalogue:
    """The PSA's companies and services, for names and list prices."""

    companies: pd.DataFrame  # company_id, company_name
    services: pd.DataFrame  # service_id, service_name, unit_price, unit_cost


def _lookup(entity: pd.DataFrame, title: str) -> dict[str, pd.Series]:
    return {row["id"]: row for _, row in entity.iterrows()}


def _reference(
    lookup: dict[str, pd.Series], key: str, units: pd.DataFrame, position: int, column: str, title: str
) -> pd.Series:
    if key not in lookup:
        table: RawTable = units.attrs["table"]
        raise InputError(
            table.path,
            f"{column} {key!r} is not in the {title} export",
            row=int(units["source_row"].iat[position]),
            column=column,
            expected=f"an id listed in the {title} export of the same period",
        )
    return lookup[key]


def assemble(entities: dict[str, pd.DataFrame], period_start: date, period_end: date) -> tuple[pd.DataFrame, Catalogue]:
    """Join the entity exports into canonical contract lines and a catalogue."""
    titles = {entity.key: entity.title for entity in ENTITIES}
    missing = [titles[key] for key in titles if key not in entities]
    if missing:
        raise InputError(
            "Autotask exports",
            f"the period has Autotask files but not {', '.join(missing)}",
            expected="all five exports: ContractServiceUnits, ContractServices, Contracts, Companies, Services",
        )
    units = entities[CONTRACT_SERVICE_UNITS.key]
    contract_services = _lookup(entities[CONTRACT_SERVICES.key], "ContractServices")
    contracts = _lookup(entities[CONTRACTS.key], "Contracts")
    companies = _lookup(entities[COMPANIES.key], "Companies")
    services = _lookup(entities[SERVICES.key], "Services")
    table: RawTable = units.attrs["table"]
    quantities = reading.integers(table, reading.column(table, "units"))
    starts = reading.dates(table, reading.column(table, "startDate"), "ISO")
    ends = reading.dates(table, reading.column(table, "endDate"), "ISO")

    records = []
    for position in range(len(units)):
        unit = units.iloc[position]
        contract_service = _reference(contract_services, unit["contract_service_id"], units, position, "contractServiceID", "ContractServices")
        contract = _reference(contracts, unit["contract_id"], units, position, "contractID", "Contracts")
        service = _reference(services, unit["service_id"], units, position, "serviceID", "Services")
        company = _reference(companies, contract["company_id"], units, position, "contractID", "Companies")
        start, end = starts[position], ends[position]
        if quantities[position] < 0:
            raise InputError(table.path, f"{quantities[position]} units is negative", row=int(unit["source_row"]), column="units", expected="0 or more units")
        if contract["contract_type"] != RECURRING_SERVICE_CONTRACT:
            reason = "not a recurring service contract"
        elif contract["status"] != ACTIVE_CONTRACT:
            reason = "contract is inactive"
        elif (start and start > period_end) or (end and end < period_start):
            reason = "outside the billing period"
        else:
            reason = ""
        adjusted = contract_service["adjusted_price"]
        records.append(
            {
                "source_file": unit["source_file"],
                "source_sheet": unit["source_sheet"],
                "source_row": int(unit["source_row"]),
                "excluded_reason": reason,
                "psa": PSA,
                "company_id": contract["company_id"],
                "company_name": company["company_name"],
                "contract_id": unit["contract_id"],
                "contract_name": contract["contract_name"],
                "contract_service_id": unit["contract_service_id"],
                "service_id": unit["service_id"],
                "service_name": service["service_name"],
                "quantity": quantities[position],
                "unit_price": Decimal(adjusted) if adjusted else contract_service["unit_price"],
                "unit_cost": contract_service["unit_cost"],
            }
        )
    catalogue = Catalogue(
        companies=entities[COMPANIES.key][["id", "company_name"]].rename(columns={"id": "company_id"}),
        services=entities[SERVICES.key][["id", "service_name", "unit_price", "unit_cost"]].rename(columns={"id": "service_id"}),
    )
    return pd.DataFrame.from_records(records), catalogue
