"""Autotask PSA (REST API v1.0): the five entity exports, and contract service adjustments.

Fetch
    Each entity is read with ``POST /V1.0/<Entity>/query`` and a JSON filter (``{"filter":
    [{"op": "gte", "field": "id", "value": 0}], "IncludeFields": [...]}``), 500 records a page;
    each page's ``pageDetails.nextPageUrl`` names the next one (asked for with GET), ``null`` on
    the last. Written as the API entity exports the Autotask importer reads
    (:mod:`workbench.sources.autotask`), with the API's field names:

    * ``Companies.csv`` (every company), ``Services.csv`` (every service);
    * ``Contracts.csv``: recurring service contracts (``contractType`` 7);
    * ``ContractServices.csv``: every contract service (the price of each);
    * ``ContractServiceUnits.csv``: the units of the periods that overlap the month.

    Dates stay as the API writes them (ISO 8601), amounts exactly as it gives them.
Push
    An approved or adjusted change is ``POST /V1.0/ContractServiceAdjustments`` with the row
    :mod:`workbench.outputs.psa_import` writes (``contractID, serviceID, effectiveDate,
    unitChange, adjustedUnitPrice, adjustedUnitCost``); the answer's ``itemId`` is the
    adjustment's id in Autotask.
Authentication
    Headers ``ApiIntegrationCode``, ``UserName`` and ``Secret`` on every request. Without a
    ``base_url`` in ``[fetch.autotask]`` the zone is looked up first
    (``GET .../zoneInformation?user=<user name>``, whose ``url`` is the zone's API root).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from workbench.fetch.http import FetchError, VendorClient, pages_by_link
from workbench.fetch.source import Export, Source, SourceContext

#: Where Autotask says which zone (API host) a user name belongs to.
ZONE_URL = "https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation"
RECURRING_SERVICE = 7
#: Every record: Autotask wants at least one filter, and every id is 0 or more.
ALL = {"op": "gte", "field": "id", "value": 0}

COMPANIES = ("id", "companyName", "companyNumber", "companyType", "isActive", "parentCompanyID")
CONTRACTS = (
    "id",
    "companyID",
    "contractName",
    "contractNumber",
    "contractType",
    "status",
    "startDate",
    "endDate",
    "contractPeriodType",
    "billingPreference",
)
SERVICES = (
    "id",
    "name",
    "description",
    "invoiceDescription",
    "unitPrice",
    "unitCost",
    "periodType",
    "isActive",
)
CONTRACT_SERVICES = (
    "id",
    "contractID",
    "serviceID",
    "unitPrice",
    "unitCost",
    "adjustedPrice",
    "internalCurrencyUnitPrice",
    "internalCurrencyAdjustedPrice",
    "invoiceDescription",
    "internalDescription",
    "quoteItemID",
    "isOptional",
)
CONTRACT_SERVICE_UNITS = (
    "id",
    "contractID",
    "contractServiceID",
    "serviceID",
    "startDate",
    "endDate",
    "units",
    "price",
    "cost",
    "internalCurrencyPrice",
    "approveAndPostDate",
    "organizationalLevelAssociationID",
    "vendorCompanyID",
)


def connect(context: SourceContext) -> VendorClient:
    credentials = context.credentials()
    return VendorClient(
        "autotask",
        context.http,
        credentials,
        headers={
            "ApiIntegrationCode": credentials["integration_code"],
            "UserName": credentials["username"],
            "Secret": credentials["secret"],
        },
    )


def api_root(context: SourceContext) -> str:
    """The zone's ``.../V1.0`` root: from ``base_url``, else asked of the zone lookup."""
    configured = context.setting("base_url")
    if configured:
        return configured

    def zone() -> str:
        answer = context.client.request(
            "GET",
            context.setting("zone_url", ZONE_URL),
            params={"user": context.credentials()["username"]},
        )
        url = answer.body.get("url") if isinstance(answer.body, dict) else None
        if not url:
            raise FetchError("autotask: the zone lookup named no API URL for the user")
        return f"{str(url).rstrip('/')}/V1.0"

    root: str = context.once("root", zone)
    return root


def query(
    context: SourceContext, entity: str, filters: list[dict[str, Any]], fields: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    """Every record of an entity the filters keep, page by page, with the fields asked for."""
    client = context.client
    url = f"{api_root(context)}/{entity}/query"
    body = {"filter": filters, "IncludeFields": list(fields)}

    def first() -> Any:
        return client.request("POST", url, json_body=body)

    for item in pages_by_link(
        client, first, "items", lambda page: (page.get("pageDetails") or {}).get("nextPageUrl")
    ):
        yield {name: item.get(name) for name in fields}


def exports(context: SourceContext) -> list[Export]:
    start = f"{context.start.isoformat()}T00:00:00"
    end = f"{context.end.isoformat()}T23:59:59"
    wanted = (
        ("Companies", COMPANIES, [ALL]),
        (
            "Contracts",
            CONTRACTS,
            [{"op": "eq", "field": "contractType", "value": RECURRING_SERVICE}],
        ),
        ("Services", SERVICES, [ALL]),
        ("ContractServices", CONTRACT_SERVICES, [ALL]),
        (
            "ContractServiceUnits",
            CONTRACT_SERVICE_UNITS,
            # The unit periods that overlap the month (top-level filters are all applied).
            [
                {"op": "lte", "field": "startDate", "value": end},
                {"op": "gte", "field": "endDate", "value": start},
            ],
        ),
    )
    return [
        Export(f"autotask/{entity}.csv", fields, partial(query, context, entity, filters, fields))
        for entity, fields, filters in wanted
    ]


def adjustment(row: dict[str, Any]) -> dict[str, Any]:
    """A ContractServiceAdjustments body from an import row (numeric ids, ISO date-time)."""
    return {
        "contractID": _number(row["contractID"], "contractID"),
        "serviceID": _number(row["serviceID"], "serviceID"),
        "effectiveDate": f"{row['effectiveDate']}T00:00:00",
        "unitChange": int(row["unitChange"]),
        "adjustedUnitPrice": row["adjustedUnitPrice"],
        "adjustedUnitCost": row["adjustedUnitCost"],
    }


def adjustments_url(context: SourceContext) -> str:
    return f"{api_root(context)}/ContractServiceAdjustments"


def created_id(body: Any) -> str:
    """The id Autotask gave what was created (``{"itemId": 123}``)."""
    if isinstance(body, dict) and body.get("itemId") is not None:
        return str(body["itemId"])
    raise FetchError("autotask: the API answered the adjustment without an itemId")


def _number(value: Any, field: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise FetchError(
            f"autotask: {field} {value!r} is not an Autotask id: the contract lines came from "
            "the UI export, which names contracts; fetch the API entities to push"
        ) from None


SOURCE = Source(
    "autotask", "Autotask", ("username", "integration_code", "secret"), connect, exports
)
