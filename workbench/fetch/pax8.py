"""Pax8 partner API v1: invoice items of the month's invoices, or subscriptions before one.

Sign-in: ``POST /v1/token`` with ``client_id``, ``client_secret``, ``audience``
(``https://api.pax8.com``) and ``grant_type=client_credentials`` as JSON; the answer's
``access_token`` (valid 24 hours) is the bearer token. Lists are paged with ``page`` (from 0)
and ``size`` (200 at most), each answer carrying ``content`` and ``page {size, totalElements,
totalPages, number}``.

* A month Pax8 has invoiced: ``GET /invoices`` with ``invoiceDateRangeStart`` the month's first
  day and ``invoiceDateRangeEnd`` the next month's last (Pax8 bills a month ahead, and a change
  made late in the month is prorated on the next invoice), then ``GET /invoices/{id}/items`` of
  each. Written as ``pax8/invoice_items.csv``: the importer keeps the rows whose service period
  is the month's (:mod:`workbench.sources.pax8`).
* A month with no invoice yet (the month under way): ``GET /subscriptions`` and ``GET
  /companies`` (for the names), written as ``pax8/subscriptions.csv``: the state now, which is
  the month's only while it lasts.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date
from typing import Any

from workbench.fetch.http import FetchError, VendorClient, pages_by_number
from workbench.fetch.source import Export, Source, SourceContext

API = "https://api.pax8.com/v1"
PAGE_SIZE = 200
ITEMS = (
    "companyId",
    "companyName",
    "externalId",
    "type",
    "startPeriod",
    "endPeriod",
    "quantity",
    "unitOfMeasure",
    "term",
    "sku",
    "description",
    "productId",
    "productName",
    "rateType",
    "chargeType",
    "price",
    "subtotal",
    "cost",
    "costTotal",
    "total",
    "currencyCode",
)
SUBSCRIPTIONS = (
    "id",
    "companyId",
    "companyName",
    "productId",
    "quantity",
    "price",
    "billingTerm",
    "status",
    "startDate",
    "endDate",
)


def connect(context: SourceContext) -> VendorClient:
    credentials = context.credentials()
    client = VendorClient("pax8", context.http, credentials)
    answer = client.request(
        "POST",
        context.setting("token_url") or f"{context.setting('base_url', API)}/token",
        json_body={
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "audience": context.setting("audience", "https://api.pax8.com"),
            "grant_type": "client_credentials",
        },
    )
    token = answer.body.get("access_token") if isinstance(answer.body, dict) else None
    if not token:
        raise FetchError("pax8: the token answer held no access_token")
    client.session.headers["Authorization"] = f"Bearer {token}"
    return client


def _paged(context: SourceContext, path: str, **params: str) -> Iterator[dict[str, Any]]:
    def last(body: Any, number: int) -> bool:
        pages = (body.get("page") or {}).get("totalPages") if isinstance(body, dict) else None
        return pages is None or number + 1 >= int(pages)

    return pages_by_number(
        context.client,
        f"{context.setting('base_url', API)}{path}",
        "content",
        params=params,
        size=("size", PAGE_SIZE),
        last_page=last,
    )


def invoices(context: SourceContext) -> list[dict[str, Any]]:
    """The invoices dated from the month's first day to the next month's last."""

    def asked() -> list[dict[str, Any]]:
        year, month = context.end.year + context.end.month // 12, context.end.month % 12 + 1
        following = date(year, month, calendar.monthrange(year, month)[1])
        return list(
            _paged(
                context,
                "/invoices",
                invoiceDateRangeStart=context.start.isoformat(),
                invoiceDateRangeEnd=following.isoformat(),
            )
        )

    found: list[dict[str, Any]] = context.once("invoices", asked)
    return found


def invoice_items(context: SourceContext) -> list[dict[str, Any]]:
    rows = []
    for invoice in invoices(context):
        for item in _paged(context, f"/invoices/{invoice['id']}/items"):
            row = {name: item.get(name) for name in ITEMS}
            row["subtotal"] = item.get("subTotal", item.get("subtotal"))
            if item.get("id") is not None:
                row["id"] = item["id"]
            rows.append(row)
    # An item is known by its id; without one on every item, by what it says (no id column).
    if any("id" not in row for row in rows):
        for row in rows:
            row.pop("id", None)
    return rows


def subscriptions(context: SourceContext) -> Iterator[dict[str, Any]]:
    names = {company.get("id"): company.get("name") for company in _paged(context, "/companies")}
    for subscription in _paged(context, "/subscriptions"):
        row = {name: subscription.get(name) for name in SUBSCRIPTIONS}
        row["companyName"] = names.get(subscription.get("companyId"))
        yield row


def exports(context: SourceContext) -> list[Export]:
    items = Export("pax8/invoice_items.csv", ITEMS, lambda: invoice_items(context))
    if context.period < date.today().strftime("%Y-%m"):
        return [items]
    # The month under way, or one not invoiced yet: its subscriptions as they are now.
    if invoices(context):
        return [items]
    return [Export("pax8/subscriptions.csv", SUBSCRIPTIONS, lambda: subscriptions(context))]


SOURCE = Source("pax8", "Pax8", ("client_id", "client_secret"), connect, exports)
