"""The vendors' export layouts the demo writes: their headers, and values as the exports show them.

The tests and the benchmark's generator (``bench/scale.py``) write their own files in these
layouts too, so a header is declared once.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

MS_HEADER = [
    "PartnerId",
    "CustomerId",
    "CustomerName",
    "CustomerDomainName",
    "CustomerCountry",
    "InvoiceNumber",
    "MpnId",
    "Tier2MpnId",
    "OrderId",
    "OrderDate",
    "ProductId",
    "SkuId",
    "AvailabilityId",
    "SkuName",
    "ProductName",
    "ChargeType",
    "UnitPrice",
    "Quantity",
    "Subtotal",
    "TaxTotal",
    "Total",
    "Currency",
    "PriceAdjustmentDescription",
    "PublisherName",
    "PublisherId",
    "SubscriptionDescription",
    "SubscriptionId",
    "ChargeStartDate",
    "ChargeEndDate",
    "TermAndBillingCycle",
    "EffectiveUnitPrice",
    "UnitType",
    "AlternateId",
    "BillableQuantity",
    "BillingFrequency",
    "PricingCurrency",
    "PCToBCExchangeRate",
    "PCToBCExchangeRateDate",
    "MeterDescription",
    "ReservationOrderId",
    "CreditReasonCode",
    "SubscriptionStartDate",
    "SubscriptionEndDate",
    "ReferenceId",
    "ProductQualifiers",
    "PromotionId",
    "ProductCategory",
]
RMM_HEADER = [
    "uid", "siteUid", "siteName", "hostname", "deviceType.category", "deviceType.type", "deviceClass",
    "operatingSystem", "lastSeen", "online", "suspended", "deleted", "creationDate", "groups",
    *[f"udf{n}" for n in range(1, 31)],
]  # fmt: skip
HUNTRESS_HEADER = [
    "id", "name", "key", "agents_count", "billable_identity_count", "microsoft_365_users_count",
    "microsoft_365_tenant_id", "sat_learner_count", "created_at", "updated_at",
]  # fmt: skip


ACRONIS_HEADER = ["tenant_id", "tenant_name", "usage_name", "value", "edition", "measurement_unit"]
BCDR_HEADER = [
    "serialNumber", "name", "model", "clientCompanyName", "organizationName", "servicePlan",
    "agentCount", "localStorageUsed.size", "localStorageUsed.units", "offsiteStorageUsed.size",
    "offsiteStorageUsed.units",
]  # fmt: skip
PAX8_ITEMS_HEADER = [
    "id", "companyId", "companyName", "externalId", "type", "startPeriod", "endPeriod",
    "quantity", "unitOfMeasure", "term", "sku", "description", "productId", "productName",
    "rateType", "chargeType", "price", "subtotal", "cost", "costTotal", "total", "currencyCode",
]  # fmt: skip
LEGACY_HEADER = [
    "PartnerId", "CustomerId", "CustomerName", "MpnId", "Tier2MpnId", "InvoiceNumber", "OrderId",
    "SubscriptionId", "SyndicationPartnerSubscriptionNumber", "OfferId", "DurableOfferId",
    "OfferName", "SubscriptionStartDate", "SubscriptionEndDate", "ChargeStartDate",
    "ChargeEndDate", "ChargeType", "UnitPrice", "Quantity", "Amount", "TotalOtherDiscount",
    "Subtotal", "Tax", "TotalForCustomer", "Currency", "DomainName", "SubscriptionName",
    "SubscriptionDescription", "BillingCycleType",
]  # fmt: skip
SENTINELONE_HEADER = ["Site ID", "Site Name", "SKU", "Active Agents", "Site State", "Expiration"]

PAX8_SUBSCRIPTIONS_HEADER = [
    "id",
    "companyId",
    "productId",
    "quantity",
    "price",
    "billingTerm",
    "status",
    "startDate",
    "endDate",
]


def money_text(value: Decimal) -> str:
    """An amount as the exports write it: ``95.00``."""
    return f"{value:.2f}"


def mdy_text(day: date) -> str:
    """A date as US exports write it: ``10/1/2026``."""
    return f"{day.month}/{day.day}/{day.year}"


def iso_text(day: date) -> str:
    """A date as the APIs' exports write it: ``2026-10-01T00:00:00Z``."""
    return f"{day.isoformat()}T00:00:00Z"


def write_csv(
    path: Path, header: list[str], rows: list[dict[str, Any]], *, bom: bool = False
) -> None:
    """Rows as a CSV export: the header's columns in order, CRLF line ends, a BOM when asked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: row.get(key, "") for key in header})


def write_workbook(path: Path, header: list[str], rows: list[dict[str, Any]]) -> None:
    """Rows as an Excel workbook, every cell as text, the way an export saved from Excel looks."""
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Reconciliation"
    sheet.append(header)
    for row in rows:
        sheet.append([str(row.get(name, "")) for name in header])
    book.properties.creator = "MSP billing workbench demo"
    book.save(path)
