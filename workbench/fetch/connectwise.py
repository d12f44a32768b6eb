"""ConnectWise PSA (Manage) REST API 3.0: agreements and their additions; additions pushed.

Fetch
    ``GET /finance/agreements`` then, for each agreement, ``GET
    /finance/agreements/{id}/additions``, both paged with ``page`` (from 1) and ``pageSize``
    (1000, the most ConnectWise gives) until a page comes back short. Written as the flattened
    agreement additions export the ConnectWise importer reads
    (:mod:`workbench.sources.connectwise`): ``Company, Agreement, Product ID, Description,
    Quantity, Less Included, Unit Price, Unit Cost, Bill Customer, Effective Date, Cancelled
    Date``, plus ``Agreement Type``, ``Agreement Status``, ``Agreement ID`` and ``Addition ID``
    (the importer knows an addition by its id when the export shows it).
Push
    ``POST /finance/agreements/{id}/additions`` with ``product.identifier``, ``quantity`` (the
    change; negative takes units away), ``unitPrice``, ``unitCost``, ``billCustomer`` and
    ``effectiveDate``; the answer is the addition, whose ``id`` is recorded. The import rows
    name the agreement (the export the workbench reads has no agreement ids), so its id is
    looked up first: ``GET /finance/agreements?conditions=name="..."``.
Authentication
    HTTP Basic as ``<company>+<public key>:<private key>``, and the integration's ``clientId``
    header. ``base_url`` (``https://<site>/v4_6_release/apis/3.0``) is required: each
    ConnectWise site has its own host.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from workbench.fetch.http import FetchError, VendorClient, pages_by_number
from workbench.fetch.source import Export, Source, SourceContext

PAGE_SIZE = 1000
COLUMNS = (
    "Company",
    "Agreement",
    "Agreement Type",
    "Product ID",
    "Description",
    "Quantity",
    "Less Included",
    "Unit Price",
    "Unit Cost",
    "Bill Customer",
    "Effective Date",
    "Cancelled Date",
    "Agreement Status",
    "Agreement ID",
    "Addition ID",
)


def connect(context: SourceContext) -> VendorClient:
    credentials = context.credentials()
    user = f"{credentials['company']}+{credentials['public_key']}:{credentials['private_key']}"
    return VendorClient(
        "connectwise",
        context.http,
        credentials,
        headers={
            "Authorization": "Basic " + base64.b64encode(user.encode()).decode(),
            "clientId": credentials["client_id"],
        },
    )


def api_root(context: SourceContext) -> str:
    root = context.setting("base_url")
    if not root:
        raise FetchError(
            "connectwise: [fetch.connectwise] in workspace.toml needs base_url, the site's API "
            'root, e.g. base_url = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"'
        )
    return root


def _pages(context: SourceContext, path: str, **params: str) -> Iterator[dict[str, Any]]:
    return pages_by_number(
        context.client,
        f"{api_root(context)}{path}",
        "",
        params=params,
        first_page=1,
        size=("pageSize", PAGE_SIZE),
    )


def additions(context: SourceContext) -> Iterator[dict[str, Any]]:
    """Every agreement's additions, flattened as the export names them."""
    for agreement in _pages(context, "/finance/agreements"):
        company = agreement.get("company") or {}
        kind = agreement.get("type") or {}
        for addition in _pages(context, f"/finance/agreements/{agreement['id']}/additions"):
            product = addition.get("product") or {}
            yield {
                "Company": company.get("name") or company.get("identifier"),
                "Agreement": agreement.get("name"),
                "Agreement Type": kind.get("name"),
                "Product ID": product.get("identifier"),
                "Description": addition.get("description") or product.get("description"),
                "Quantity": addition.get("quantity"),
                "Less Included": addition.get("lessIncluded"),
                "Unit Price": addition.get("unitPrice"),
                "Unit Cost": addition.get("unitCost"),
                "Bill Customer": addition.get("billCustomer"),
                "Effective Date": addition.get("effectiveDate"),
                "Cancelled Date": addition.get("cancelledDate"),
                "Agreement Status": addition.get("agreementStatus")
                or agreement.get("agreementStatus"),
                "Agreement ID": agreement.get("id"),
                "Addition ID": addition.get("id"),
            }


def exports(context: SourceContext) -> list[Export]:
    return [Export("connectwise/agreement-additions.csv", COLUMNS, lambda: additions(context))]


def agreement_id(context: SourceContext, name: str) -> int:
    """The id of the agreement called ``name`` (looked up once per push)."""
    found: dict[str, int] = context.once("agreements", dict)
    if name not in found:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        matches = list(
            pages_by_number(
                context.client,
                f"{api_root(context)}/finance/agreements",
                "",
                params={"conditions": f'name="{quoted}"'},
                first_page=1,
                size=("pageSize", PAGE_SIZE),
            )
        )
        if len(matches) != 1:
            raise FetchError(
                f"connectwise: {len(matches)} agreements are called {name!r}; one was expected "
                "to push its additions"
            )
        found[name] = int(matches[0]["id"])
    return found[name]


def addition_request(context: SourceContext, row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The URL and body of an agreement addition, from an import row."""
    agreement = agreement_id(context, str(row["agreementId"]))
    return (
        f"{api_root(context)}/finance/agreements/{agreement}/additions",
        {
            "product": {"identifier": row["productIdentifier"]},
            "quantity": row["quantity"],
            "unitPrice": row["unitPrice"],
            "unitCost": row["unitCost"],
            "billCustomer": row["billCustomer"],
            "effectiveDate": row["effectiveDate"],
        },
    )


def created_id(body: Any) -> str:
    """The new addition's id (the answer is the addition)."""
    if isinstance(body, dict) and body.get("id") is not None:
        return str(body["id"])
    raise FetchError("connectwise: the API answered the addition without an id")


SOURCE = Source(
    "connectwise",
    "ConnectWise",
    ("company", "public_key", "private_key", "client_id"),
    connect,
    exports,
)
