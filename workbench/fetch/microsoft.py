"""Microsoft partner billing (new commerce), through Microsoft Graph's reconciliation exports.

Sign-in: ``POST https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`` with the app's
``client_id`` and ``client_secret``, ``scope=https://graph.microsoft.com/.default`` and
``grant_type=client_credentials`` (the app needs the application permission
``PartnerBilling.Read.All``).

* ``--invoice G...``: ``POST /reports/partners/billing/reconciliation/billed/export`` with
  ``{"invoiceId", "attributeSet": "full"}``;
* without one, the month not invoiced yet: ``POST .../reconciliation/unbilled/export`` with
  ``{"billingPeriod": "current"}`` (this month) or ``"last"`` (last month), ``"currencyCode"``
  (``currency`` under ``[fetch.microsoft]``, else the workspace's) and ``"attributeSet"``.

Either answers 202 with a ``Location`` header: the operation, polled with GET (waiting its
``Retry-After``, else ``poll_interval``) while its ``status`` is ``notStarted`` or ``running``.
``succeeded`` names the manifest (``resourceLocation@odata.navigationLink``); its ``blobs`` are
gzip-compressed JSON lines read at ``<rootDirectory>/<name>?<sasToken>`` (the shared access
signature is the key: it is never logged). ``failed`` ends the fetch with its ``error.message``.

Written as the new-commerce reconciliation file the Partner Center importer reads
(:mod:`workbench.sources.microsoft`), ``microsoft/Reconciliation_<invoice>.csv`` (or
``Reconciliation_unbilled_<period>.csv``): the 47 columns of the downloaded file, in its order,
each attribute matched whatever its case (``customerId`` fills ``CustomerId``), the ones the
file does not know kept after them.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from workbench.fetch.http import FetchError, VendorClient
from workbench.fetch.source import Export, Source, SourceContext

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"
COLUMNS = (
    "PartnerId", "CustomerId", "CustomerName", "CustomerDomainName", "CustomerCountry",
    "InvoiceNumber", "MpnId", "Tier2MpnId", "OrderId", "OrderDate", "ProductId", "SkuId",
    "AvailabilityId", "SkuName", "ProductName", "ChargeType", "UnitPrice", "Quantity",
    "Subtotal", "TaxTotal", "Total", "Currency", "PriceAdjustmentDescription", "PublisherName",
    "PublisherId", "SubscriptionDescription", "SubscriptionId", "ChargeStartDate",
    "ChargeEndDate", "TermAndBillingCycle", "EffectiveUnitPrice", "UnitType", "AlternateId",
    "BillableQuantity", "BillingFrequency", "PricingCurrency", "PCToBCExchangeRate",
    "PCToBCExchangeRateDate", "MeterDescription", "ReservationOrderId", "CreditReasonCode",
    "SubscriptionStartDate", "SubscriptionEndDate", "ReferenceId", "ProductQualifiers",
    "PromotionId", "ProductCategory",
)  # fmt: skip
#: Other spellings of a column the exports have used.
ALIASES = {"resellermpnid": "Tier2MpnId", "mpnid": "MpnId", "totalforcustomer": "Total"}
_BY_KEY = {column.casefold(): column for column in COLUMNS} | ALIASES
_RUNNING = {"notstarted", "running"}


def connect(context: SourceContext) -> VendorClient:
    credentials = context.credentials()
    client = VendorClient("microsoft", context.http, credentials)
    login = context.setting("token_url") or (
        f"{LOGIN}/{credentials['tenant_id']}/oauth2/v2.0/token"
    )
    answer = client.request(
        "POST",
        login,
        form={
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "scope": "https://graph.microsoft.com/.default",
            "grant_type": "client_credentials",
        },
    )
    token = answer.body.get("access_token") if isinstance(answer.body, dict) else None
    if not token:
        raise FetchError("microsoft: the token answer held no access_token")
    client.session.headers["Authorization"] = f"Bearer {token}"
    return client


def _export_request(context: SourceContext) -> tuple[str, dict[str, Any], str]:
    """The export to ask for: its URL, its body and the file it becomes."""
    graph = context.setting("base_url", GRAPH)
    if context.invoice:
        return (
            f"{graph}/reports/partners/billing/reconciliation/billed/export",
            {"invoiceId": context.invoice, "attributeSet": "full"},
            f"microsoft/Reconciliation_{context.invoice}.csv",
        )
    today = date.today()
    this_month = today.strftime("%Y-%m")
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    periods = {this_month: "current", last_month.strftime("%Y-%m"): "last"}
    if context.period not in periods:
        raise FetchError(
            f"microsoft: {context.period} is invoiced: give its invoice (--invoice G...) to "
            "fetch its billed reconciliation; the unbilled export covers only this month and "
            "last month"
        )
    return (
        f"{graph}/reports/partners/billing/reconciliation/unbilled/export",
        {
            "billingPeriod": periods[context.period],
            "currencyCode": context.setting("currency", context.workspace.currency),
            "attributeSet": "full",
        },
        f"microsoft/Reconciliation_unbilled_{context.period}.csv",
    )


def reconciliation(context: SourceContext) -> Iterator[dict[str, Any]]:
    client = context.client
    url, body, _ = _export_request(context)
    started = client.request("POST", url, json_body=body)
    operation = started.headers.get("Location")
    if not operation:
        raise FetchError("microsoft: the export was accepted without a Location to follow")
    waited = 0.0
    while True:
        answer = client.request("GET", operation)
        status = str((answer.body or {}).get("status", "")).casefold()
        if status not in _RUNNING:
            break
        wait = float(answer.headers.get("Retry-After") or context.http.poll_interval)
        if waited + wait > context.http.max_wait:
            raise FetchError(
                f"microsoft: the export was still running after {waited:g} s (max_wait under "
                "[fetch] in workspace.toml): run the fetch again later"
            )
        client.wait(wait)
        waited += wait
    if status != "succeeded":
        error = (answer.body or {}).get("error") or {}
        raise FetchError(
            f"microsoft: the export {status or 'ended without a status'}"
            + (f": {error.get('message')}" if isinstance(error, dict) and error else "")
        )
    manifest_url = answer.body.get("resourceLocation@odata.navigationLink")
    if not manifest_url:
        raise FetchError("microsoft: the finished export named no manifest")
    manifest = client.request("GET", str(manifest_url)).body or {}
    root, signature = manifest.get("rootDirectory"), manifest.get("sasToken", "")
    for blob in manifest.get("blobs") or []:
        name = blob.get("name")
        # The blob store is reached with its shared access signature, not the Graph token.
        downloaded = client.request(
            "GET",
            f"{root}/{name}?{signature}",
            headers={"Authorization": None},
            shown=f"{root}/{name} (with the manifest's access signature)",
        )
        yield from _records(downloaded.content, name)


def _records(content: bytes, name: str) -> Iterator[dict[str, Any]]:
    """The JSON lines of a gzip-compressed blob, keyed by the file's column names."""
    try:
        text = gzip.decompress(content).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FetchError(
            f"microsoft: the blob {name} is not gzip-compressed JSON lines ({exc})"
        ) from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_float=Decimal)
        except ValueError:
            raise FetchError(f"microsoft: line {number} of the blob {name} is not JSON") from None
        yield {_BY_KEY.get(key.casefold(), key): value for key, value in record.items()}


def exports(context: SourceContext) -> list[Export]:
    _, _, file = _export_request(context)
    return [Export(file, COLUMNS, lambda: reconciliation(context))]


SOURCE = Source(
    "microsoft",
    "Microsoft partner billing",
    ("tenant_id", "client_id", "client_secret"),
    connect,
    exports,
)
