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

import pandas as pd

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
        "source_file": [source_file] * rows,
        "source_sheet": [table.sheet] * rows,
        "source_row": [table.row_number(position) for position in range(rows)],
    }


def _text(table: RawTable, name: str) -> list[str]:
    return reading.texts(table, reading.column(table, name))


def _read_units(table: RawTable, context: ReadContext) -> pd.DataFrame:
    quantities = reading.integers(table, reading.column(table, "units"))
    for position, quantity in enumerate(quantities):
        if quantity < 0:
            raise InputError(
                table.path,
                f"{quantity} units is negative",
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
            "start_date": reading.dates(table, reading.column(table, "startDate"), "ISO"),
            "end_date": reading.dates(table, reading.column(table, "endDate"), "ISO"),
            "units": quantities,
            **_provenance(table, context.source_file),
        }
    )


def _read_contract_services(table: RawTable, context: ReadContext) -> pd.DataFrame:
    money = {
        name: pd.Series(reading.optional_amounts(table, reading.column(table, name)), dtype=object)
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


def _by_id(entity: pd.DataFrame, title: str) -> dict[str, dict[str, Any]]:
    """An entity export by id. A row repeated (in one export or two) is one entity; the same id
    with other values is an error naming both rows."""
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
    return {
        str(key): {str(k): v for k, v in row.items()}
        for key, row in entity.set_index("id").to_dict("index").items()
    }


def _follow(
    lookup: dict[str, dict[str, Any]], key: str, title: str, origin: dict[str, Any], column: str
) -> dict[str, Any]:
    """The referenced entity, or an error naming the row that points nowhere."""
    if key not in lookup:
        raise InputError(
            origin["source_file"],
            f"{column} {key!r} is not in the {title} export",
            row=int(origin["source_row"]),
            column=column,
            expected=f"an id listed in the {title} export of the same period",
        )
    return lookup[key]


def assemble(
    entities: dict[str, pd.DataFrame], period_start: date, period_end: date
) -> tuple[pd.DataFrame, Catalogue]:
    """Join the entity exports into canonical contract lines and a catalogue.

    An entity may come in several exports (``entities`` holds them concatenated): a row repeated
    is one entity, and a ContractServiceUnits row repeated becomes a repeated record that
    :mod:`workbench.sources.overlap` counts once.
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

    records = []
    for row in entities[CONTRACT_SERVICE_UNITS.key].to_dict("records"):
        unit = {str(key): value for key, value in row.items()}
        contract_service = _follow(
            contract_services,
            unit["contract_service_id"],
            "ContractServices",
            unit,
            "contractServiceID",
        )
        contract = _follow(contracts, unit["contract_id"], "Contracts", unit, "contractID")
        service = _follow(services, unit["service_id"], "Services", unit, "serviceID")
        company = _follow(companies, contract["company_id"], "Companies", contract, "companyID")
        price = contract_service["adjusted_price"] or contract_service["unit_price"]
        if price is None:
            raise InputError(
                contract_service["source_file"],
                "the contract service has no unit price",
                row=int(contract_service["source_row"]),
                column="unitPrice",
                expected="a unit price, or an adjustedPrice",
            )
        start, end = unit["start_date"], unit["end_date"]
        if contract["contract_type"] != RECURRING_SERVICE_CONTRACT:
            reason = "not a recurring service contract"
        elif contract["status"] != ACTIVE_CONTRACT:
            reason = "contract is inactive"
        elif (start and start > period_end) or (end and end < period_start):
            reason = "outside the billing period"
        else:
            reason = ""
        records.append(
            {
                "source_file": unit["source_file"],
                "source_sheet": unit["source_sheet"],
                "source_row": int(unit["source_row"]),
                "excluded_reason": reason,
                # A ContractServiceUnits row is known by its id.
                "record_key": f"{CONTRACT_SERVICE_UNITS.key}|{unit['id']}",
                "psa": PSA,
                "company_id": contract["company_id"],
                "company_name": company["company_name"],
                "contract_id": unit["contract_id"],
                "contract_name": contract["contract_name"],
                "contract_service_id": unit["contract_service_id"],
                "service_id": unit["service_id"],
                "service_name": service["service_name"],
                "quantity": int(unit["units"]),
                "unit_price": price,
                "unit_cost": contract_service["unit_cost"] or Decimal("0.00"),
            }
        )
    catalogue = Catalogue(
        companies=pd.DataFrame(
            [(key, row["company_name"]) for key, row in companies.items()],
            columns=["company_id", "company_name"],
        ),
        services=pd.DataFrame(
            [
                (key, row["service_name"], row["unit_price"], row["unit_cost"])
                for key, row in services.items()
            ],
            columns=["service_id", "service_name", "unit_price", "unit_cost"],
        ),
    )
    return pd.DataFrame.from_records(records), catalogue
