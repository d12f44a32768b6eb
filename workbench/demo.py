"""A seeded demo MSP: one billing month of exports in the vendors' real layouts.

:func:`write_demo_workspace` writes a workspace with about 25 clients. Most are billed exactly
what they use; a known set of discrepancies of every kind is injected on purpose, and the
expected outcome of every line is written to ``periods/<period>/ground_truth.json`` so tests can
check the reconciliation exactly.

What is injected (see :data:`SCENARIOS`): under-billing after a mid-month seat increase in
Partner Center, over-billing of workstations whose RMM count includes deleted and
``_NotBillable_`` devices that must not count, usage never added to the contract, a service on
the contract at 0 units that is already in use, a service billed after its subscription was
cancelled, a Microsoft customer and an RMM site nobody mapped,
a SKU nobody mapped, services no vendor measures, a difference within tolerance, a vendor-side
rename, a site matched by exact name, an internal tenant excluded on purpose, trial and credit
rows, and Autotask rows outside the period or on an inactive contract.
"""

from __future__ import annotations

import csv
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from workbench.mapping import mappings_book
from workbench.money import to_cents
from workbench.workspace import period_bounds

SEED = 20261031
PERIOD = "2026-10"
MSP_NAME = "Northwind Managed IT"


@dataclass(frozen=True)
class ServiceDef:
    service_id: str
    name: str
    price: Decimal
    cost: Decimal
    vendor: str  # "" when no vendor measures it
    skus: tuple[tuple[str, str], ...]  # (vendor SKU, SKU name)
    tolerance: int = 0
    factor: str = "1"  # vendor units -> service units


#: The vendor of a bundle service: no vendor measures it, its drivers do.
BUNDLE = "bundle"
MS_PREMIUM = ("CFQ7TTC0LCHC:0002", "Microsoft 365 Business Premium")
MS_STANDARD = ("CFQ7TTC0LDPB:0001", "Microsoft 365 Business Standard")
MS_EXCHANGE = ("CFQ7TTC0LH16:0001", "Exchange Online (Plan 1)")
MS_POWER_BI = ("CFQ7TTC0L3PB:0001", "Power BI Pro")
LEGACY_E3 = "796B6B5F-613C-4E24-A17C-EBA730D49C02"

SERVICES = {
    "workstation": ServiceDef(
        "29683401",
        "Managed workstation",
        Decimal("45.00"),
        Decimal("12.00"),
        "datto_rmm",
        (("Desktop", "Desktop devices"), ("Laptop", "Laptop devices")),
    ),
    "server": ServiceDef(
        "29683402",
        "Managed server",
        Decimal("150.00"),
        Decimal("40.00"),
        "datto_rmm",
        (("Server", "Server devices"),),
    ),
    "network": ServiceDef(
        "29683403",
        "Network device monitoring",
        Decimal("10.00"),
        Decimal("2.00"),
        "datto_rmm",
        (("Network Device", "Network Device devices"),),
        tolerance=1,
    ),
    "premium": ServiceDef(
        "29683404",
        "Microsoft 365 Business Premium",
        Decimal("26.40"),
        Decimal("22.00"),
        "microsoft",
        (MS_PREMIUM,),
    ),
    "standard": ServiceDef(
        "29683405",
        "Microsoft 365 Business Standard",
        Decimal("15.00"),
        Decimal("12.50"),
        "microsoft",
        (MS_STANDARD,),
    ),
    "exchange": ServiceDef(
        "29683406",
        "Exchange Online (Plan 1)",
        Decimal("4.80"),
        Decimal("4.00"),
        "microsoft",
        (MS_EXCHANGE,),
    ),
    "edr": ServiceDef(
        "29683407",
        "Managed EDR",
        Decimal("6.00"),
        Decimal("3.00"),
        "huntress",
        (("agents", "EDR agents"),),
    ),
    "itdr": ServiceDef(
        "29683408",
        "Identity threat detection",
        Decimal("4.00"),
        Decimal("2.00"),
        "huntress",
        (("identities", "ITDR billable identities"),),
    ),
    "sat": ServiceDef(
        "29683409",
        "Security awareness training",
        Decimal("3.00"),
        Decimal("1.50"),
        "huntress",
        (("sat_learners", "Security awareness learners"),),
    ),
    "vcio": ServiceDef(
        "29683410", "vCIO consulting (monthly)", Decimal("500.00"), Decimal("0.00"), "", ()
    ),
    "backup": ServiceDef(
        "29683411", "Cloud backup storage (per 100 GB)", Decimal("12.00"), Decimal("6.00"), "acronis",
        (("storage:Advanced Backup", "Acronis Advanced Backup storage (GB)"),), factor="0.01",
    ),
    "bcdr": ServiceDef(
        "29683412", "BCDR appliance (managed)", Decimal("199.00"), Decimal("120.00"), "datto_bcdr",
        (("devices:S5-2", "SIRIS S5-2 appliances"),),
    ),
    "keeper": ServiceDef(
        "29683413", "Password manager (Keeper)", Decimal("4.50"), Decimal("3.00"), "pax8",
        (("KPR-BUS-M", "Keeper Business"),),
    ),
    "e3": ServiceDef(
        "29683414", "Office 365 E3 (legacy licence)", Decimal("36.00"), Decimal("32.00"), "microsoft",
        ((LEGACY_E3, "Office 365 E3"),),
    ),
    # Bundles: their quantity follows drivers defined in the mappings' Bundles sheet.
    "gold": ServiceDef("29683415", "Gold managed user bundle", Decimal("95.00"), Decimal("38.00"), BUNDLE, ()),
    "device_bundle": ServiceDef("29683416", "Managed device bundle", Decimal("65.00"), Decimal("18.00"), BUNDLE, ()),
}  # fmt: skip
VENDOR_NAMES = {
    "microsoft": "Microsoft",
    "datto_rmm": "Datto RMM",
    "huntress": "Huntress",
    "acronis": "Acronis",
    "datto_bcdr": "Datto BCDR",
    "pax8": "Pax8",
}

CLIENT_NAMES = [
    "Acme Dental Group", "Bluewater Logistics", "Cedar Ridge Veterinary", "Dunmore Accounting",
    "Evergreen Family Law", "Foxglove Architects", "Granite State Roofing", "Harbor View Marina",
    "Ironwood Manufacturing", "Juniper Pediatrics", "Keystone Title & Escrow", "Lakeside Community Church",
    "Maple Street Bakery", "Northgate Insurance Agency", "Oakline Property Management", "Pinecrest Orthodontics",
    "Quarry Hill Engineering", "Riverbend Credit Union", "Summit Physical Therapy", "Tidewater Freight",
    "Upland Animal Hospital", "Valley Forge Builders", "Willow Creek Winery", "Yardley & Sons Plumbing",
    "Zephyr Travel",
]  # fmt: skip


@dataclass
class Client:
    company_id: str
    name: str
    users: int
    desktops: int
    laptops: int
    servers: int
    network: int
    m365: str  # "premium" | "standard"
    huntress: bool
    sat: bool
    tenant: str
    site_uid: str
    huntress_id: str
    billed: dict[str, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    vendor_ids: dict[str, str] = field(default_factory=dict)  # vendors added after the first demo
    in_bundles: dict[str, int] = field(default_factory=dict)  # vendor units a bundle covers

    def vendor_count(self, key: str) -> int:
        """What the vendor shows: units on stand-alone services plus units in bundles."""
        return self.used.get(key, 0) + self.in_bundles.get(key, 0)


class DemoBuilder:
    """Builds the demo's truth (what each client uses and is billed), then writes the files."""

    def __init__(self, seed: int = SEED, period: str = PERIOD) -> None:
        self.rng = random.Random(seed)
        self.period = period
        self.start, self.end = period_bounds(period)
        self.clients = [self._client(position, name) for position, name in enumerate(CLIENT_NAMES)]
        self.truth: dict[str, Any] = {
            "period": period,
            "lines": {},
            "unmapped_customers": [],
            "unmapped_skus": [],
            "notes": [],
        }
        self._baseline()

    # -- truth -------------------------------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _client(self, position: int, name: str) -> Client:
        rng = self.rng
        users = rng.randint(6, 60)
        return Client(
            company_id=str(29_600_100 + position * 7),
            name=name,
            users=users,
            desktops=rng.randint(2, users),
            laptops=rng.randint(0, users // 2),
            servers=rng.randint(0, 4),
            network=rng.randint(2, 9),
            m365="premium" if rng.random() < 0.6 else "standard",
            huntress=rng.random() < 0.85,
            sat=rng.random() < 0.4,
            tenant=self._uuid(),
            site_uid=self._uuid(),
            huntress_id=str(4100 + position * 13),
        )

    def _baseline(self) -> None:
        for client in self.clients:
            used = {
                "workstation": client.desktops + client.laptops,
                "server": client.servers,
                "network": client.network,
                client.m365: client.users,
            }
            if client.huntress:
                used["edr"] = client.desktops + client.laptops + client.servers
                if client.sat:
                    used["sat"] = client.users
            client.used = {key: value for key, value in used.items() if value > 0}
            client.billed = dict(client.used)
        # Every fifth client buys vCIO hours, which no vendor measures.
        for client in self.clients[::5]:
            client.billed["vcio"] = 1

    def client(self, name: str) -> Client:
        return next(c for c in self.clients if c.name == name)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def write_csv(
    path: Path, header: list[str], rows: list[dict[str, Any]], *, bom: bool = False
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: row.get(key, "") for key in header})


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


def _mdy(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _iso(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


# -- scenarios: the injected discrepancies, each tied to one client ------------------------------

INTERNAL_TENANT_NAME = "Northwind Managed IT (internal)"
NEW_TENANT_NAME = "Lakeshore Dental Studio"
NEW_SITE_NAME = "Zephyr Travel - Harbor Branch"
RENAMED_FROM = "Granite State Roofing LLC"
RENAMED_TO = "Granite State Roofing & Siding"
SEAT_INCREASE_DAY = 15
SEAT_DECREASE_DAY = 20
CANCEL_DAY = 3
ZERO_UNIT_CLIENT, ZERO_UNIT_IDENTITIES = "Zephyr Travel", 1


def _scenarios(builder: DemoBuilder) -> None:
    """Bend the baseline into the known discrepancies; each is recorded in ``notes``."""
    note = builder.truth["notes"].append

    acme = builder.client("Acme Dental Group")
    acme.used[acme.m365] += 2
    note(
        f"{acme.name}: 2 {acme.m365} seats added on day {SEAT_INCREASE_DAY} in Partner Center, contract not updated (under-billed)"
    )

    blue = builder.client("Bluewater Logistics")
    blue.billed["workstation"] += 3
    note(
        f"{blue.name}: billed 3 workstations the RMM shows as deleted (2) or _NotBillable_ (1) (over-billed)"
    )

    cedar = builder.client("Cedar Ridge Veterinary")
    cedar.huntress = True
    cedar.used["edr"] = cedar.desktops + cedar.laptops + cedar.servers
    cedar.billed["edr"] = cedar.used["edr"]
    cedar.used["itdr"] = cedar.users
    note(f"{cedar.name}: Huntress ITDR identities in use, not on the contract (unbilled usage)")

    dunmore = builder.client("Dunmore Accounting")
    dunmore.billed["exchange"] = 5
    dunmore.used["exchange"] = 0
    note(
        f"{dunmore.name}: Exchange Online cancelled on day {CANCEL_DAY}, still billed 5 (billed without usage)"
    )

    evergreen = builder.client("Evergreen Family Law")
    note(f"{evergreen.name}: 3 Power BI Pro seats, a SKU nobody mapped (unmapped SKU)")

    foxglove = builder.client("Foxglove Architects")
    foxglove.servers = 3
    foxglove.used["server"] = 3
    foxglove.billed["server"] = 2
    if "edr" in foxglove.used:
        foxglove.used["edr"] = foxglove.desktops + foxglove.laptops + 3
        foxglove.billed["edr"] = foxglove.used["edr"]
    note(
        f"{foxglove.name}: a third server in the RMM, contract bills 2 at a discounted 135.00 (under-billed at the adjusted price)"
    )

    note(
        f"{RENAMED_TO}: Microsoft customer renamed from {RENAMED_FROM!r}; still mapped by tenant id"
    )
    note("Harbor View Marina: RMM site has no mapping row; matched by exact name")

    ironwood = builder.client("Ironwood Manufacturing")
    ironwood.billed["network"] = ironwood.used["network"] - 1
    ironwood.used[ironwood.m365] -= 3
    note(f"{ironwood.name}: one network device more than billed, within the tolerance of 1 (match)")
    note(
        f"{ironwood.name}: 3 {ironwood.m365} seats removed on day {SEAT_DECREASE_DAY}, contract not updated (over-billed)"
    )

    juniper = builder.client("Juniper Pediatrics")
    juniper.huntress = True
    juniper.used["edr"] = juniper.desktops + juniper.laptops + juniper.servers
    juniper.billed["edr"] = juniper.used["edr"]
    note(
        f"{juniper.name}: Huntress organization not mapped: EDR not reconciled, the organization shows as unmapped"
    )

    note(
        "Keystone Title & Escrow: a zero-amount trial row and a customer credit row, both excluded"
    )

    maple = builder.client("Maple Street Bakery")
    maple.huntress, maple.sat = True, False
    maple.used["edr"] = maple.desktops + maple.laptops + maple.servers
    maple.billed["edr"] = maple.used["edr"]
    maple.used.pop("sat", None)
    maple.billed["sat"] = 10
    note(
        f"{maple.name}: billed 10 security-awareness seats, Huntress shows no learners (billed without usage)"
    )
    note(f"{maple.name}: an inactive contract still has a unit row in the period (excluded)")

    # The last client: its new contract service leaves every other client's Autotask ids as
    # they were.
    zephyr = builder.client(ZERO_UNIT_CLIENT)
    zephyr.billed["itdr"] = 0
    zephyr.used["itdr"] = ZERO_UNIT_IDENTITIES
    note(
        f"{zephyr.name}: Identity threat detection on the contract at 0 units ahead of its roll-out, Huntress already shows {ZERO_UNIT_IDENTITIES} (under-billed: the line is on the contract)"
    )

    note(f"{NEW_TENANT_NAME}: a new Microsoft customer nobody mapped (unmapped customer)")
    note(f"{NEW_SITE_NAME}: a new RMM site nobody mapped (unmapped customer)")
    note(f"{INTERNAL_TENANT_NAME}: the MSP's own tenant, excluded in mappings")


# -- more vendors: Acronis, Datto BCDR, Pax8, a legacy Microsoft licence, SentinelOne by profile ---

#: Acronis backup storage per client, in GB (billed per started 100 GB).
BACKUP_GB = {
    "Lakeside Community Church": 180,
    "Northgate Insurance Agency": 420,
    "Pinecrest Orthodontics": 95,
    "Quarry Hill Engineering": 260,
    "Riverbend Credit Union": 512,
}
BACKUP_GREW = "Riverbend Credit Union"
BCDR_CLIENTS = ("Tidewater Freight", "Upland Animal Hospital", "Valley Forge Builders")
KEEPER_CLIENTS = (
    "Summit Physical Therapy",
    "Tidewater Freight",
    "Willow Creek Winery",
    "Yardley & Sons Plumbing",
)
KEEPER_ADDED, KEEPER_ADDED_SEATS, KEEPER_ADDED_DAY = "Yardley & Sons Plumbing", 2, 18
LEGACY_CLIENT, LEGACY_SEATS = "Northgate Insurance Agency", 15
SENTINELONE_CLIENTS = ("Oakline Property Management", "Pinecrest Orthodontics")
EXPIRED_SITE = "Oakline Property Management - old office"
MAPPING_VENDOR_NAMES = {**VENDOR_NAMES, "sentinelone": "SentinelOne"}
MORE_SERVICE_ROWS: list[list[object]] = [
    ["Acronis", "protected_workstations:Advanced Backup", "Acronis protected workstations", "", "", "", "Workstations are billed from the RMM count"],
    ["Datto BCDR", "agents", "BCDR protected agents", "", "", "", "Included in the appliance price"],
    ["Datto BCDR", "offsite_gb", "BCDR offsite storage (GB)", "", "", "", "Included in the appliance price"],
    ["SentinelOne", "Complete", "SentinelOne Complete", SERVICES["edr"].service_id, SERVICES["edr"].name, "1", ""],
]  # fmt: skip
SENTINELONE_PROFILE = """\
# SentinelOne has no built-in importer: this profile says which columns to read.
[profile]
vendor = "SentinelOne"
title = "SentinelOne sites export"
customer_id = "Site ID"
customer_name = "Site Name"
product = "SKU"
quantity = "Active Agents"

[profile.keep]
"Site State" = ["Active"]
"""
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


def _more_vendor_scenarios(builder: DemoBuilder) -> None:
    """Clients of the vendors added later; drawn from their own random stream so the first
    demo's numbers stay as they were."""
    rng = random.Random(SEED + 2)
    note = builder.truth["notes"].append

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    for name, gb in BACKUP_GB.items():
        client = builder.client(name)
        client.vendor_ids["acronis"] = new_id()
        client.used["backup"] = client.billed["backup"] = -(-gb // 100)
    builder.client(BACKUP_GREW).billed["backup"] -= 1
    note(
        f"{BACKUP_GREW}: Acronis storage grew to {BACKUP_GB[BACKUP_GREW]} GB, billed one 100 GB block short (under-billed)"
    )
    for name in BCDR_CLIENTS:
        client = builder.client(name)
        client.vendor_ids["datto_bcdr"] = name
        client.used["bcdr"] = client.billed["bcdr"] = 1
    note(
        "Datto BCDR: agent and offsite-storage counts are excluded in mappings (included in the appliance price)"
    )
    for name in KEEPER_CLIENTS:
        client = builder.client(name)
        client.vendor_ids["pax8"] = new_id()
        client.used["keeper"] = client.billed["keeper"] = client.users
    builder.client(KEEPER_ADDED).used["keeper"] += KEEPER_ADDED_SEATS
    note(
        f"{KEEPER_ADDED}: {KEEPER_ADDED_SEATS} Keeper seats added on day {KEEPER_ADDED_DAY} in Pax8 (a prorate row), contract not updated (under-billed)"
    )
    legacy = builder.client(LEGACY_CLIENT)
    legacy.used["e3"] = legacy.billed["e3"] = LEGACY_SEATS
    note(
        f"{LEGACY_CLIENT}: {LEGACY_SEATS} Office 365 E3 seats on a legacy licence-based subscription (match)"
    )
    for name in SENTINELONE_CLIENTS:
        client = builder.client(name)
        client.huntress = client.sat = False
        for key in ("sat", "itdr"):
            client.used.pop(key, None)
            client.billed.pop(key, None)
        client.used["edr"] = client.billed["edr"] = (
            client.desktops + client.laptops + client.servers
        )
        client.vendor_ids["sentinelone"] = f"S1-{rng.randint(100000, 999999)}"
    note(
        f"{', '.join(SENTINELONE_CLIENTS)}: EDR from SentinelOne, read through a workspace profile; an expired site is left out by the profile"
    )


# -- bundles: a per-user bundle, the same with client terms, and a per-device bundle ------------

GOLD_CLIENT = "Quarry Hill Engineering"
GOLD_TERMS_CLIENT = "Summit Physical Therapy"
DEVICE_BUNDLE_CLIENT = "Willow Creek Winery"
GOLD_NEW_HIRES, GOLD_IDENTITIES_EXTRA, GOLD_NO_SAT = 2, 2, 3
GOLD_MINIMUM_EXTRA = 3
WAIVER_NOTE = "front-desk kiosks share logins; training waived in the contract"
KEEPER_ANNUAL_CLIENT, KEEPER_ANNUAL_SKU = "Tidewater Freight", "KPR-BUS-A"
ALIAS_ROWS: list[list[object]] = [
    ["Pax8", "KPR-BUS-*", "KPR-BUS-M", "Keeper Business, monthly and annual terms"],
    [
        "Microsoft",
        "CFQ7TTC0LCHC:*",
        MS_PREMIUM[0],
        "Business Premium, every term and billing cycle",
    ],
]
GOLD_COMPONENTS = (
    # name, vendor, SKU, SKU name, rule
    ("Microsoft 365 Business Premium", "Microsoft", *MS_PREMIUM, "exact"),
    ("Managed EDR", "Huntress", "agents", "EDR agents", "at least"),
    ("Identity threat detection", "Huntress", "identities", "ITDR billable identities", "exact"),
    ("Security awareness training", "Huntress", "sat_learners", "Security awareness learners", "exact"),
)  # fmt: skip


def _bundle_rows() -> list[list[object]]:
    gold, device = SERVICES["gold"], SERVICES["device_bundle"]
    rows: list[list[object]] = [
        [gold.service_id, gold.name, "driver", "", "Microsoft", *MS_PREMIUM, "1", "", "", ""]
    ]
    rows += [
        [gold.service_id, gold.name, "component", name, vendor, sku, sku_name, "", "1", rule, ""]
        for name, vendor, sku, sku_name, rule in GOLD_COMPONENTS
    ]
    for sku, sku_name in SERVICES["workstation"].skus:
        rows.append(
            [
                device.service_id,
                device.name,
                "driver",
                "",
                "Datto RMM",
                sku,
                sku_name,
                "1",
                "",
                "",
                "",
            ]
        )
    for sku, sku_name in SERVICES["workstation"].skus:
        rows.append(
            [
                device.service_id,
                device.name,
                "component",
                "Device management",
                "Datto RMM",
                sku,
                sku_name,
                "",
                "1",
                "exact",
                "",
            ]
        )
    rows.append(
        [
            device.service_id,
            device.name,
            "component",
            "Managed EDR",
            "Huntress",
            "agents",
            "EDR agents",
            "",
            "1",
            "exact",
            "",
        ]
    )
    return rows  # fmt: skip


def _bundle_scenarios(builder: DemoBuilder) -> None:
    """Three clients move to bundles; their truth lines are written here, the stand-alone
    remainder by :func:`_line_truth`."""
    note = builder.truth["notes"].append
    gold, device = SERVICES["gold"], SERVICES["device_bundle"]

    def bundle_line(client: Client, service: ServiceDef, billed: int, expected: int) -> None:
        status = (
            "match"
            if billed == expected
            else "under-billed"
            if expected > billed
            else "over-billed"
        )
        builder.truth["lines"][f"{client.company_id}:{service.service_id}"] = {
            "client": client.name, "service": service.name, "status": status, "billed": billed, "expected": expected,
            "revenue_impact": _money(to_cents((expected - billed) * service.price)) if status != "match" else "0.00",
            "cost_impact": _money(to_cents((expected - billed) * service.cost)) if status != "match" else "0.00",
        }  # fmt: skip

    def component_line(
        client: Client,
        service: ServiceDef,
        name: str,
        status: str,
        required: int,
        shown: int | None,
    ) -> None:
        builder.truth["lines"][f"{client.company_id}:{service.service_id}:{name}"] = {
            "client": client.name, "service": f"{service.name}: {name}", "status": status, "billed": required,
            "expected": shown, "revenue_impact": "0.00", "cost_impact": "0.00",
        }  # fmt: skip

    def to_gold(client: Client) -> None:
        """Premium licences and the Huntress stack move into the bundle; every user has a
        desktop, some a laptop as well (two devices: covered, the EDR rule is 'at least')."""
        client.huntress = True
        client.desktops = max(client.desktops, client.users)
        devices = client.desktops + client.laptops
        for key in ("premium", "standard", "edr", "itdr", "sat"):
            client.used.pop(key, None)
            client.billed.pop(key, None)
        client.used["workstation"] = client.billed["workstation"] = devices
        client.m365 = "premium"
        client.in_bundles = {
            "premium": client.users,
            "edr": devices + client.servers,
            "itdr": client.users,
        }

    quarry = builder.client(GOLD_CLIENT)
    to_gold(quarry)
    users = quarry.users
    quarry.in_bundles["sat"] = users - GOLD_NO_SAT
    quarry.used["itdr"] = GOLD_IDENTITIES_EXTRA  # beyond the bundle: the stand-alone service
    quarry.billed["gold"] = users - GOLD_NEW_HIRES
    bundle_line(quarry, gold, users - GOLD_NEW_HIRES, users)
    for name, status, shown in (
        ("Microsoft 365 Business Premium", "match", users),
        ("Managed EDR", "match", quarry.in_bundles["edr"]),
        ("Identity threat detection", "match", users + GOLD_IDENTITIES_EXTRA),
        ("Security awareness training", "bundle gap", users - GOLD_NO_SAT),
    ):
        component_line(quarry, gold, name, status, users, shown)
    note(
        f"{quarry.name}: Gold managed user bundle, {GOLD_NEW_HIRES} new hires licensed but the bundle count not raised (under-billed)"
    )
    note(
        f"{quarry.name}: {GOLD_NO_SAT} bundle users without a security-awareness seat (bundle gap)"
    )
    note(
        f"{quarry.name}: {GOLD_IDENTITIES_EXTRA} Huntress identities beyond the bundle, not billed on their own (unbilled usage)"
    )

    summit = builder.client(GOLD_TERMS_CLIENT)
    to_gold(summit)
    summit.sat = False
    minimum = summit.users + GOLD_MINIMUM_EXTRA
    summit.billed["gold"] = minimum
    bundle_line(summit, gold, minimum, minimum)
    summit_components: tuple[tuple[str, str, int | None], ...] = (
        ("Microsoft 365 Business Premium", "match", summit.users),
        ("Managed EDR", "match", summit.in_bundles["edr"]),
        ("Identity threat detection", "match", summit.users),
        ("Security awareness training", "not reconciled", None),
    )
    for name, status, count in summit_components:
        component_line(summit, gold, name, status, summit.users, count)
    note(
        f"{summit.name}: Gold bundle at the agreed minimum of {minimum} with {summit.users} users (match); security awareness waived ({WAIVER_NOTE})"
    )

    willow = builder.client(DEVICE_BUNDLE_CLIENT)
    willow.huntress = True
    willow.laptops += 1
    devices = willow.desktops + willow.laptops
    willow.used.pop("workstation", None)
    willow.billed.pop("workstation", None)
    willow.used["edr"] = willow.billed["edr"] = willow.servers  # servers: stand-alone EDR
    if not willow.servers:
        willow.used.pop("edr")
        willow.billed.pop("edr")
    willow.in_bundles = {"edr": devices}
    willow.billed["device_bundle"] = devices - 1
    bundle_line(willow, device, devices - 1, devices)
    component_line(willow, device, "Device management", "match", devices, devices)
    component_line(willow, device, "Managed EDR", "match", devices, devices + willow.servers)
    note(
        f"{willow.name}: Managed device bundle, a new laptop in the RMM not yet billed (under-billed)"
    )
    note(
        f"{KEEPER_ANNUAL_CLIENT}: Keeper on an annual term (SKU {KEEPER_ANNUAL_SKU}), counted as the monthly SKU through an alias"
    )


def _line_truth(builder: DemoBuilder) -> None:
    unmapped_huntress = {"Juniper Pediatrics"}
    for client in builder.clients:
        for key in sorted(set(client.billed) | set(client.used)):
            service = SERVICES[key]
            if service.vendor == BUNDLE:
                continue  # written by _bundle_scenarios
            # On the contract is having a line, whatever its units: one at 0 units is adjusted,
            # not proposed anew.
            on_contract = key in client.billed
            billed = client.billed.get(key, 0)
            used = client.used.get(key, 0)
            if not on_contract and used == 0:
                continue
            price = (
                Decimal("135.00")
                if (client.name, key) == ("Foxglove Architects", "server")
                else service.price
            )
            if not service.vendor or (
                service.vendor == "huntress" and client.name in unmapped_huntress
            ):
                status, used_out = "not reconciled", None
            elif abs(used - billed) <= service.tolerance:
                status, used_out = "match", used
            elif not on_contract:
                status, used_out = "unbilled usage", used
            elif used == 0:
                status, used_out = "billed without usage", used
            elif used > billed:
                status, used_out = "under-billed", used
            else:
                status, used_out = "over-billed", used
            proposes = status not in ("match", "not reconciled")
            builder.truth["lines"][f"{client.company_id}:{service.service_id}"] = {
                "client": client.name,
                "service": service.name,
                "status": status,
                "billed": billed,
                "expected": used_out,
                "revenue_impact": _money(to_cents((used - billed) * price)) if proposes else "0.00",
                "cost_impact": _money(to_cents((used - billed) * service.cost))
                if proposes
                else "0.00",
            }


# -- writers ----------------------------------------------------------------------------------------


class DemoWriter:
    def __init__(self, builder: DemoBuilder, root: Path) -> None:
        self.b = builder
        self.root = root
        self.inputs = root / "periods" / builder.period / "inputs"
        self.rng = random.Random(SEED + 1)

    def write(self) -> None:
        (self.root / "workspace.toml").write_text(
            f'[workspace]\nname = "{MSP_NAME}"\ncurrency = "USD"\n', encoding="utf-8"
        )
        self._autotask()
        self._microsoft()
        self._rmm()
        self._huntress()
        self._more_vendors()
        self._mappings()
        truth = self.b.truth
        (self.root / "periods" / self.b.period / "ground_truth.json").write_text(
            json.dumps(truth, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )

    # Autotask --------------------------------------------------------------------------------
    def _autotask(self) -> None:
        b = self.b
        folder = self.inputs / "autotask"
        companies, contracts, contract_services, units = [], [], [], []
        ids = iter(range(1_000_001, 9_000_000, 3))
        for client in b.clients:
            companies.append(
                {
                    "id": client.company_id,
                    "companyName": client.name,
                    "companyNumber": f"C{client.company_id[-4:]}",
                    "companyType": "1",
                    "isActive": "True",
                    "parentCompanyID": "",
                }
            )
            contract_id = str(next(ids))
            contracts.append(
                {"id": contract_id, "companyID": client.company_id, "contractName": f"{client.name} - Managed Services", "contractNumber": f"MS-{contract_id[-5:]}",
                 "contractType": "7", "status": "1", "startDate": _iso(date(2025, 1, 1)), "endDate": _iso(date(2027, 12, 31)), "contractPeriodType": "m", "billingPreference": "1"}
            )  # fmt: skip
            for key in sorted(client.billed):
                service = SERVICES[key]
                contract_service_id = str(next(ids))
                adjusted = (
                    "135.00" if (client.name, key) == ("Foxglove Architects", "server") else ""
                )
                contract_services.append(
                    {"id": contract_service_id, "contractID": contract_id, "serviceID": service.service_id, "unitPrice": _money(service.price), "unitCost": _money(service.cost),
                     "adjustedPrice": adjusted, "internalCurrencyUnitPrice": _money(service.price), "internalCurrencyAdjustedPrice": adjusted,
                     "invoiceDescription": service.name, "internalDescription": "", "quoteItemID": "", "isOptional": "False"}
                )  # fmt: skip
                unit_row = {"contractID": contract_id, "contractServiceID": contract_service_id, "serviceID": service.service_id, "cost": "", "internalCurrencyPrice": "",
                            "approveAndPostDate": "", "organizationalLevelAssociationID": "", "vendorCompanyID": ""}  # fmt: skip
                price = Decimal(adjusted) if adjusted else service.price
                billed = client.billed[key]
                units.append(
                    {
                        **unit_row,
                        "id": str(next(ids)),
                        "startDate": _iso(b.start),
                        "endDate": _iso(b.end),
                        "units": str(billed),
                        "price": _money(price * billed),
                        "cost": _money(service.cost * billed),
                    }
                )
                if client.name in (
                    "Dunmore Accounting",
                    "Oakline Property Management",
                    "Zephyr Travel",
                ):
                    previous_end = b.start - timedelta(days=1)
                    units.append(
                        {
                            **unit_row,
                            "id": str(next(ids)),
                            "startDate": _iso(previous_end.replace(day=1)),
                            "endDate": _iso(previous_end),
                            "units": str(billed),
                            "price": _money(price * billed),
                            "approveAndPostDate": _iso(b.start),
                        }
                    )
            if client.name == "Maple Street Bakery":
                old_contract = str(next(ids))
                contracts.append(
                    {"id": old_contract, "companyID": client.company_id, "contractName": f"{client.name} - Legacy Support", "contractNumber": f"LS-{old_contract[-5:]}",
                     "contractType": "7", "status": "0", "startDate": _iso(date(2023, 1, 1)), "endDate": _iso(date(2027, 12, 31)), "contractPeriodType": "m", "billingPreference": "1"}
                )  # fmt: skip
                old_service = str(next(ids))
                service = SERVICES["workstation"]
                contract_services.append(
                    {
                        "id": old_service,
                        "contractID": old_contract,
                        "serviceID": service.service_id,
                        "unitPrice": "40.00",
                        "unitCost": "12.00",
                        "adjustedPrice": "",
                        "invoiceDescription": service.name,
                        "isOptional": "False",
                    }
                )
                units.append(
                    {
                        "id": str(next(ids)),
                        "contractID": old_contract,
                        "contractServiceID": old_service,
                        "serviceID": service.service_id,
                        "startDate": _iso(b.start),
                        "endDate": _iso(b.end),
                        "units": "10",
                        "price": "400.00",
                    }
                )
        services = [
            {"id": s.service_id, "name": s.name, "description": s.name, "invoiceDescription": s.name, "unitPrice": _money(s.price), "unitCost": _money(s.cost), "periodType": "m", "isActive": "True"}
            for s in SERVICES.values()
        ]  # fmt: skip
        write_csv(
            folder / "Companies.csv",
            ["id", "companyName", "companyNumber", "companyType", "isActive", "parentCompanyID"],
            companies,
        )
        write_csv(
            folder / "Contracts.csv",
            [
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
            ],
            contracts,
        )
        write_csv(
            folder / "Services.csv",
            [
                "id",
                "name",
                "description",
                "invoiceDescription",
                "unitPrice",
                "unitCost",
                "periodType",
                "isActive",
            ],
            services,
        )
        write_csv(
            folder / "ContractServices.csv",
            ["id", "contractID", "serviceID", "unitPrice", "unitCost", "adjustedPrice", "internalCurrencyUnitPrice", "internalCurrencyAdjustedPrice", "invoiceDescription", "internalDescription", "quoteItemID", "isOptional"],
            contract_services,
        )  # fmt: skip
        write_csv(
            folder / "ContractServiceUnits.csv",
            ["id", "contractID", "contractServiceID", "serviceID", "startDate", "endDate", "units", "price", "cost", "internalCurrencyPrice", "approveAndPostDate", "organizationalLevelAssociationID", "vendorCompanyID"],
            units,
        )  # fmt: skip

    # Microsoft -------------------------------------------------------------------------------
    def _ms_row(
        self,
        tenant: str,
        customer: str,
        sku: tuple[str, str],
        charge: str,
        seats: int,
        cost: Decimal,
        subscription: str,
        start: date,
        direction: int = 1,
    ) -> dict[str, Any]:
        b = self.b
        days = (b.end - start).days + 1
        full = (b.end - b.start).days + 1
        effective = (cost * days / full).quantize(Decimal("0.0001")) if days != full else cost
        line = effective.quantize(Decimal("0.01"), rounding=ROUND_DOWN) * seats * direction
        product_id, sku_id = sku[0].split(":")
        casing = charge if self.rng.random() < 0.7 else charge[0].upper() + charge[1:]
        return {
            "PartnerId": "8f1c2d3e-0000-4a5b-9c6d-0e1f2a3b4c5d", "CustomerId": tenant, "CustomerName": customer,
            "CustomerDomainName": f"{''.join(ch for ch in customer.lower() if ch.isalnum())[:20]}.onmicrosoft.com", "CustomerCountry": "US",
            "InvoiceNumber": "G052637185", "MpnId": "6543210", "Tier2MpnId": "", "OrderId": subscription[:8].upper(), "OrderDate": _mdy(start),
            "ProductId": product_id, "SkuId": sku_id, "AvailabilityId": "CFQ7TTC0K5DM", "SkuName": sku[1], "ProductName": sku[1],
            "ChargeType": casing, "UnitPrice": _money(cost), "Quantity": str(seats), "Subtotal": _money(line), "TaxTotal": "0.00", "Total": _money(line),
            "Currency": "USD", "PriceAdjustmentDescription": "", "PublisherName": "Microsoft Corporation", "PublisherId": "",
            "SubscriptionDescription": sku[1], "SubscriptionId": subscription, "ChargeStartDate": _mdy(start), "ChargeEndDate": _mdy(b.end),
            "TermAndBillingCycle": "One-Year commitment for monthly/yearly billing", "EffectiveUnitPrice": f"{effective:.4f}", "UnitType": "Licenses",
            "AlternateId": subscription[-12:], "BillableQuantity": str(seats), "BillingFrequency": "Monthly", "PricingCurrency": "USD",
            "PCToBCExchangeRate": "1", "PCToBCExchangeRateDate": _mdy(b.start), "MeterDescription": "", "ReservationOrderId": "", "CreditReasonCode": "",
            "SubscriptionStartDate": "1/1/2026", "SubscriptionEndDate": "12/31/2026", "ReferenceId": "", "ProductQualifiers": "", "PromotionId": "", "ProductCategory": "Productivity",
        }  # fmt: skip

    def _microsoft(self) -> None:
        b = self.b
        rows: list[dict[str, Any]] = []
        for client in b.clients:
            customer = RENAMED_TO if client.name == "Granite State Roofing" else client.name
            for key in ("premium", "standard", "exchange"):
                service = SERVICES[key]
                sku = service.skus[0]
                used = client.vendor_count(key)
                billed_before = client.billed.get(key, 0)
                if used == 0 and billed_before == 0:
                    continue
                subscription = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
                args = (client.tenant, customer, sku)
                if client.name == "Acme Dental Group" and key == client.m365:
                    day = b.start.replace(day=SEAT_INCREASE_DAY)
                    rows.append(
                        self._ms_row(
                            *args, "cycleCharge", used - 2, service.cost, subscription, b.start
                        )
                    )
                    rows.append(
                        self._ms_row(
                            *args,
                            "addQuantity",
                            used - 2,
                            service.cost,
                            subscription,
                            day,
                            direction=-1,
                        )
                    )
                    rows.append(
                        self._ms_row(*args, "addQuantity", used, service.cost, subscription, day)
                    )
                elif client.name == "Ironwood Manufacturing" and key == client.m365:
                    day = b.start.replace(day=SEAT_DECREASE_DAY)
                    rows.append(
                        self._ms_row(
                            *args, "cycleCharge", used + 3, service.cost, subscription, b.start
                        )
                    )
                    rows.append(
                        self._ms_row(
                            *args,
                            "removeQuantity",
                            used + 3,
                            service.cost,
                            subscription,
                            day,
                            direction=-1,
                        )
                    )
                    rows.append(
                        self._ms_row(*args, "removeQuantity", used, service.cost, subscription, day)
                    )
                elif client.name == "Dunmore Accounting" and key == "exchange":
                    rows.append(
                        self._ms_row(
                            *args, "cycleCharge", billed_before, service.cost, subscription, b.start
                        )
                    )
                    rows.append(
                        self._ms_row(
                            *args,
                            "cancelImmediate",
                            billed_before,
                            service.cost,
                            subscription,
                            b.start.replace(day=CANCEL_DAY),
                            direction=-1,
                        )
                    )
                else:
                    rows.append(
                        self._ms_row(
                            *args, "cycleCharge", used, service.cost, subscription, b.start
                        )
                    )
            if client.name == "Evergreen Family Law":
                rows.append(
                    self._ms_row(
                        client.tenant,
                        customer,
                        MS_POWER_BI,
                        "new",
                        3,
                        Decimal("12.00"),
                        self._uuid(),
                        b.start,
                    )
                )
                b.truth["unmapped_skus"].append(
                    {
                        "company_id": client.company_id,
                        "vendor": "microsoft",
                        "sku": MS_POWER_BI[0],
                        "quantity": 3,
                        "vendor_spend": "36.00",
                    }
                )
            if client.name == "Keystone Title & Escrow":
                trial = self._ms_row(
                    client.tenant,
                    customer,
                    SERVICES["premium"].skus[0],
                    "new",
                    25,
                    Decimal("0"),
                    self._uuid(),
                    b.start,
                )
                rows.append(
                    {
                        **trial,
                        "PromotionId": "39NFJQT1Q5KG:0001",
                        "TermAndBillingCycle": "One-Month trial",
                    }
                )
                credit = self._ms_row(
                    client.tenant,
                    customer,
                    SERVICES[client.m365].skus[0],
                    "customerCredit",
                    1,
                    Decimal("10.00"),
                    self._uuid(),
                    b.start,
                    direction=-1,
                )
                rows.append({**credit, "CreditReasonCode": "Service outage credit"})
        new_tenant = self._uuid()
        premium = SERVICES["premium"]
        rows.append(
            self._ms_row(
                new_tenant,
                NEW_TENANT_NAME,
                premium.skus[0],
                "new",
                8,
                premium.cost,
                self._uuid(),
                b.start,
            )
        )
        b.truth["unmapped_customers"].append(
            {
                "vendor": "microsoft",
                "customer_key": new_tenant,
                "sku": premium.skus[0][0],
                "quantity": 8,
                "vendor_spend": _money(premium.cost * 8),
            }
        )
        self.internal_tenant = self._uuid()
        rows.append(
            self._ms_row(
                self.internal_tenant,
                INTERNAL_TENANT_NAME,
                premium.skus[0],
                "cycleCharge",
                12,
                premium.cost,
                self._uuid(),
                b.start,
            )
        )
        self.rng.shuffle(rows)
        self.new_tenant = new_tenant
        write_csv(
            self.inputs / "microsoft" / "Reconciliation_G052637185.csv", MS_HEADER, rows, bom=True
        )

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # Datto RMM ------------------------------------------------------------------------------
    def _device(
        self, site_uid: str, site: str, category: str, position: int, **extra: str
    ) -> dict[str, Any]:
        kinds = {"Desktop": ("Desktop", "device", "Windows 11 Pro"), "Laptop": ("Laptop", "device", "Windows 11 Pro"),
                 "Server": ("Server", "device", "Windows Server 2022 Standard"), "Network Device": ("Network Device", "rmmnetworkdevice", "")}  # fmt: skip
        type_name, device_class, system = kinds[category]
        prefix = "".join(word[0] for word in site.split() if word[0].isalpha())[:4].upper()
        seen = self.b.end - timedelta(days=self.rng.randint(0, 6))
        return {
            "uid": self._uuid(), "siteUid": site_uid, "siteName": site, "hostname": f"{prefix}-{category[:3].upper()}{position:03d}",
            "deviceType.category": category, "deviceType.type": type_name, "deviceClass": device_class, "operatingSystem": system,
            "lastSeen": f"{seen.isoformat()}T{self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}:00Z", "online": "true" if self.rng.random() < 0.8 else "false",
            "suspended": "false", "deleted": "false", "creationDate": _iso(date(2025, self.rng.randint(1, 12), self.rng.randint(1, 28))), "groups": "",
            **extra,
        }  # fmt: skip

    def _rmm(self) -> None:
        b = self.b
        rows: list[dict[str, Any]] = []
        for client in b.clients:
            counts = {
                "Desktop": client.desktops,
                "Laptop": client.laptops,
                "Server": client.servers,
                "Network Device": client.network,
            }
            for category, count in counts.items():
                rows.extend(
                    self._device(client.site_uid, client.name, category, n)
                    for n in range(1, count + 1)
                )
            if client.name == "Bluewater Logistics":
                rows.append(
                    self._device(client.site_uid, client.name, "Desktop", 901, deleted="true")
                )
                rows.append(
                    self._device(client.site_uid, client.name, "Laptop", 902, deleted="true")
                )
                rows.append(
                    self._device(
                        client.site_uid,
                        client.name,
                        "Desktop",
                        903,
                        groups="Front desk;_NotBillable_",
                    )
                )
            if client.name == "Summit Physical Therapy":
                rows.append(
                    self._device(client.site_uid, client.name, "Laptop", 904, suspended="true")
                )
        new_site = self._uuid()
        rows.extend(self._device(new_site, NEW_SITE_NAME, "Desktop", n) for n in range(1, 5))
        b.truth["unmapped_customers"].append(
            {
                "vendor": "datto_rmm",
                "customer_key": new_site,
                "sku": "Desktop",
                "quantity": 4,
                "vendor_spend": None,
            }
        )
        write_csv(self.inputs / "datto_rmm" / "devices.csv", RMM_HEADER, rows)

    # Huntress -------------------------------------------------------------------------------
    def _huntress(self) -> None:
        rows = []
        for client in self.b.clients:
            if not client.huntress:
                continue
            name = "Juniper Pediatrics PLLC" if client.name == "Juniper Pediatrics" else client.name
            rows.append(
                {"id": client.huntress_id, "name": name, "key": "".join(ch for ch in client.name.lower() if ch.isalnum())[:16],
                 "agents_count": str(client.vendor_count("edr")), "billable_identity_count": str(client.vendor_count("itdr")),
                 "microsoft_365_users_count": str(client.users), "microsoft_365_tenant_id": client.tenant,
                 "sat_learner_count": str(client.vendor_count("sat")), "created_at": "2025-03-04T15:20:11Z", "updated_at": "2026-10-31T23:10:42Z"}
            )  # fmt: skip
            if client.name == "Juniper Pediatrics":
                self.b.truth["unmapped_customers"].append(
                    {
                        "vendor": "huntress",
                        "customer_key": client.huntress_id,
                        "sku": "agents",
                        "quantity": client.used["edr"],
                        "vendor_spend": None,
                    }
                )
                if client.used.get("sat"):
                    self.b.truth["unmapped_customers"].append(
                        {
                            "vendor": "huntress",
                            "customer_key": client.huntress_id,
                            "sku": "sat_learners",
                            "quantity": client.used["sat"],
                            "vendor_spend": None,
                        }
                    )
        write_csv(self.inputs / "huntress" / "organizations.csv", HUNTRESS_HEADER, rows)

    # The vendors added later ---------------------------------------------------------------------
    def _more_vendors(self) -> None:
        b = self.b
        rng = random.Random(SEED + 3)
        start, end = b.start.isoformat(), b.end.isoformat()
        acronis: list[dict[str, str]] = []
        bcdr: list[dict[str, str]] = []
        pax8: list[dict[str, str]] = []
        sentinelone: list[dict[str, str]] = []
        for client in b.clients:
            ids = client.vendor_ids
            if "acronis" in ids:
                tenant = {
                    "tenant_id": ids["acronis"],
                    "tenant_name": client.name,
                    "edition": "Advanced Backup",
                }
                acronis.append(
                    {
                        **tenant,
                        "usage_name": "storage",
                        "value": str(BACKUP_GB[client.name] * 1024**3),
                        "measurement_unit": "bytes",
                    }
                )
                acronis.append(
                    {
                        **tenant,
                        "usage_name": "protected_workstations",
                        "value": str(client.desktops + client.laptops),
                        "measurement_unit": "quantity",
                    }
                )
            if "datto_bcdr" in ids:
                bcdr.append(
                    {"serialNumber": f"S5{rng.randint(100000, 999999)}", "name": f"{client.name} SIRIS", "model": "S5-2", "clientCompanyName": client.name,
                     "organizationName": ids["datto_bcdr"], "servicePlan": "Infinite Cloud Retention", "agentCount": str(client.servers + 1),
                     "localStorageUsed.size": f"{rng.randint(200, 900)}.5", "localStorageUsed.units": "GB",
                     "offsiteStorageUsed.size": f"{rng.randint(1, 4)}.{rng.randint(0, 9)}", "offsiteStorageUsed.units": "TB"}
                )  # fmt: skip
            if "pax8" in ids:
                keeper = SERVICES["keeper"]
                annual = client.name == KEEPER_ANNUAL_CLIENT
                item = {"companyId": ids["pax8"], "companyName": client.name, "unitOfMeasure": "User", "term": "Annual" if annual else "Monthly",
                        "sku": KEEPER_ANNUAL_SKU if annual else keeper.skus[0][0],
                        "description": "Keeper Business", "productId": "9a1f0c2e-4b5d-4e6f-8a7b-000000000k01", "productName": "Keeper Business",
                        "rateType": "Partner Buy Rate", "chargeType": "per_unit", "price": _money(keeper.cost), "currencyCode": "USD"}  # fmt: skip
                seats = client.users
                total = _money(keeper.cost * seats)
                pax8.append({**item, "id": f"ii-{len(pax8) + 1:05d}", "type": "subscription", "startPeriod": start, "endPeriod": end, "quantity": str(seats),
                             "subtotal": total, "cost": _money(keeper.cost), "costTotal": total, "total": total})  # fmt: skip
                if client.name == KEEPER_ADDED:
                    added_from = b.start.replace(day=KEEPER_ADDED_DAY)
                    days = (b.end - added_from).days + 1
                    prorated = _money(
                        (keeper.cost * KEEPER_ADDED_SEATS * days / 31).quantize(Decimal("0.01"))
                    )
                    pax8.append({**item, "id": f"ii-{len(pax8) + 1:05d}", "type": "prorate", "startPeriod": added_from.isoformat(), "endPeriod": end,
                                 "quantity": str(KEEPER_ADDED_SEATS), "subtotal": prorated, "cost": _money(keeper.cost), "costTotal": prorated, "total": prorated})  # fmt: skip
            if "sentinelone" in ids:
                sentinelone.append({"Site ID": ids["sentinelone"], "Site Name": client.name, "SKU": "Complete",
                                    "Active Agents": str(client.used["edr"]), "Site State": "Active", "Expiration": "2027-06-30"})  # fmt: skip
                if client.name == SENTINELONE_CLIENTS[0]:
                    sentinelone.append({"Site ID": f"S1-{rng.randint(100000, 999999)}", "Site Name": EXPIRED_SITE, "SKU": "Complete",
                                        "Active Agents": "3", "Site State": "Expired", "Expiration": "2026-03-31"})  # fmt: skip
        legacy_client = b.client(LEGACY_CLIENT)
        e3 = SERVICES["e3"]
        amount = _money(e3.cost * LEGACY_SEATS)
        legacy = [
            {"PartnerId": "8f1c2d3e-0000-4a5b-9c6d-0e1f2a3b4c5d", "CustomerId": legacy_client.tenant.upper(), "CustomerName": legacy_client.name,
             "MpnId": "6543210", "InvoiceNumber": "D035000123", "OrderId": "8B3C1D2E", "SubscriptionId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
             "OfferId": LEGACY_E3, "DurableOfferId": LEGACY_E3, "OfferName": "Office 365 E3", "SubscriptionStartDate": "1/1/2024",
             "SubscriptionEndDate": "12/31/2026", "ChargeStartDate": _mdy(b.start), "ChargeEndDate": _mdy(b.end), "ChargeType": "Cycle fee",
             "UnitPrice": _money(e3.cost), "Quantity": str(LEGACY_SEATS), "Amount": amount, "TotalOtherDiscount": "0.00", "Subtotal": amount,
             "Tax": "0.00", "TotalForCustomer": amount, "Currency": "USD", "DomainName": "northgateins.onmicrosoft.com",
             "SubscriptionName": "Office 365 E3", "SubscriptionDescription": "Office 365 E3", "BillingCycleType": "Monthly"}
        ]  # fmt: skip
        write_csv(self.inputs / "acronis" / "usage.csv", ACRONIS_HEADER, acronis)
        write_csv(self.inputs / "datto_bcdr" / "devices.csv", BCDR_HEADER, bcdr)
        write_csv(self.inputs / "pax8" / "invoice_items.csv", PAX8_ITEMS_HEADER, pax8)
        write_csv(
            self.inputs / "microsoft" / "LicenseBased_D035000123.csv",
            LEGACY_HEADER,
            legacy,
            bom=True,
        )
        write_csv(self.inputs / "sentinelone" / "sites.csv", SENTINELONE_HEADER, sentinelone)
        (self.root / "profiles").mkdir(exist_ok=True)
        (self.root / "profiles" / "sentinelone.toml").write_text(
            SENTINELONE_PROFILE, encoding="utf-8"
        )

    def _more_customer_rows(self) -> list[list[object]]:
        return [
            [MAPPING_VENDOR_NAMES[vendor], key, client.name, client.company_id, client.name, ""]
            for client in self.b.clients
            for vendor, key in sorted(client.vendor_ids.items())
        ]

    # Mappings workbook ------------------------------------------------------------------------
    def _mappings(self) -> None:
        customer_rows: list[list[object]] = []
        for client in self.b.clients:
            ms_name = RENAMED_FROM if client.name == "Granite State Roofing" else client.name
            customer_rows.append(
                ["Microsoft", client.tenant, ms_name, client.company_id, client.name, ""]
            )
            if client.name != "Harbor View Marina":
                customer_rows.append(
                    ["Datto RMM", client.site_uid, client.name, client.company_id, client.name, ""]
                )
            if client.huntress and client.name != "Juniper Pediatrics":
                customer_rows.append(
                    [
                        "Huntress",
                        client.huntress_id,
                        client.name,
                        client.company_id,
                        client.name,
                        "",
                    ]
                )
        customer_rows.append(
            [
                "Microsoft",
                self.internal_tenant,
                INTERNAL_TENANT_NAME,
                "",
                "",
                "Our own tenant: not billed to a client",
            ]
        )
        service_rows: list[list[object]] = [
            [VENDOR_NAMES[s.vendor], sku, sku_name, s.service_id, s.name, s.factor, ""]
            for s in SERVICES.values()
            for sku, sku_name in s.skus
        ]
        customer_rows.extend(self._more_customer_rows())
        service_rows.extend(MORE_SERVICE_ROWS)
        tolerance_rows: list[list[object]] = [
            [s.service_id, s.name, s.tolerance] for s in SERVICES.values()
        ]
        terms_rows: list[list[object]] = [
            [summit.company_id, summit.name, SERVICES["gold"].service_id, summit.users + GOLD_MINIMUM_EXTRA, "", "Security awareness training", WAIVER_NOTE]
            for summit in [self.b.client(GOLD_TERMS_CLIENT)]
        ]  # fmt: skip
        book = mappings_book(
            customer_rows,
            service_rows,
            tolerance_rows,
            aliases=ALIAS_ROWS,
            bundles=_bundle_rows(),
            bundle_clients=terms_rows,
        )
        book.properties.creator = "MSP billing workbench demo"
        book.save(self.root / "mappings.xlsx")


def write_demo_workspace(root: str | Path, *, seed: int = SEED, period: str = PERIOD) -> Path:
    """Write the demo workspace under ``root`` (created if needed) and return it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    builder = DemoBuilder(seed=seed, period=period)
    _scenarios(builder)
    _more_vendor_scenarios(builder)
    _bundle_scenarios(builder)
    _line_truth(builder)
    DemoWriter(builder, root).write()
    return root


# -- PSA samples: one small workspace per PSA other than Autotask's API exports ------------------

PSA_SAMPLES = ("connectwise", "halopsa", "syncro", "autotask-ui")
PSA_SAMPLE_TITLES = {
    "connectwise": "ConnectWise PSA",
    "halopsa": "HaloPSA",
    "syncro": "Syncro",
    "autotask-ui": "Autotask (UI export)",
}
#: Per PSA: the service id of managed workstations, Business Premium, Business Standard, Keeper.
PSA_SERVICE_IDS = {
    "connectwise": {"workstation": "WS-MANAGED", "premium": "M365-BP", "standard": "M365-BS", "keeper": "KEEPER"},
    "halopsa": {"workstation": "31", "premium": "30", "standard": "33", "keeper": "34"},
    "syncro": {"workstation": "31", "premium": "30", "standard": "33", "keeper": "34"},
    "autotask-ui": {key: SERVICES[key].service_id for key in ("workstation", "premium", "standard", "keeper")},
}  # fmt: skip
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


#: Business Standard seats the third client of a PSA sample uses, on its contract at 0 units.
ZERO_UNIT_SEATS = 1


def _sample_company_id(psa: str, client: Client, position: int) -> str:
    """How each PSA identifies a company: ConnectWise's export only names it."""
    return {
        "connectwise": client.name,
        "halopsa": str(7 + 2 * position),
        "syncro": str(555 + position),
    }.get(psa, client.company_id)


def _sample_rows(
    psa: str, client: Client, company_id: str, billed: dict[str, int], start: date, end: date
) -> list[dict[str, str]]:
    rows = []
    for key, units in sorted(billed.items()):
        service, service_id = SERVICES[key], PSA_SERVICE_IDS[psa][key]
        price, cost = _money(service.price), _money(service.cost)
        if psa == "connectwise":
            rows.append({"Company": client.name, "Agreement": f"{client.name} - Managed", "Agreement Type": "MSP", "Product ID": service_id,
                         "Description": service.name, "Quantity": str(units), "Less Included": "0", "Unit Price": price, "Unit Cost": cost,
                         "Bill Customer": "Billable", "Effective Date": "2025-01-01T00:00:00Z", "Cancelled Date": "", "Agreement Status": "Active"})  # fmt: skip
        elif psa == "halopsa":
            rows.append({"id": f"R{company_id}", "client_id": company_id, "client_name": client.name, "item_id": service_id,
                         "item_shortdescription": f"{service.name} $MONTH $YEAR", "item_longdescription": "", "qty_order": f"{units}.00",
                         "unit_price": price, "unit_cost": cost, "net_amount": _money(service.price * units)})  # fmt: skip
        elif psa == "syncro":
            rows.append({"customer_id": company_id, "customer_business_then_name": client.name, "schedule_id": f"9{company_id}", "product_id": service_id,
                         "name": service.name, "description": "Monthly", "quantity": f"{units}.0",
                         "retail_cents": str(int(service.price * 100)), "cost_cents": str(int(service.cost * 100))})  # fmt: skip
        else:
            rows.append({"Account ID": company_id, "Account Name": client.name, "Contract Name": f"{client.name} - Managed Services",
                         "Service ID": service_id, "Service Name": service.name, "Units": str(units), "Unit Price": price, "Unit Cost": cost,
                         "Start Date": _mdy(start), "End Date": _mdy(end)})  # fmt: skip
    return rows


def write_psa_sample(root: str | Path, psa: str, *, seed: int = SEED, period: str = PERIOD) -> Path:
    """A small workspace billed from ``psa``'s export, with three known discrepancies.

    Three clients of the main demo, billed for managed workstations (counted by the RMM) and
    their Microsoft 365 plan (Partner Center): the first is billed 2 seats short (under-billed),
    the second one workstation too many (over-billed), and the third keeps Business Standard on
    its contract at 0 units while Partner Center shows 1 seat (under-billed: the line is on the
    contract; in ConnectWise an addition of 0 less 0 included). The Syncro sample adds Keeper
    seats from a Pax8 subscriptions export (with a trial that does not count); the HaloPSA sample
    receives its Partner Center file as an Excel workbook.
    """
    root = Path(root)
    builder = DemoBuilder(seed=seed, period=period)
    writer = DemoWriter(builder, root)
    clients = builder.clients[:3]
    inputs = writer.inputs
    truth: dict[str, Any] = {
        "period": period,
        "psa": psa,
        "lines": {},
        "unmapped_customers": [],
        "unmapped_skus": [],
    }
    psa_rows: list[dict[str, str]] = []
    ms_rows: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    pax8_rows: list[dict[str, str]] = []
    customers: list[list[object]] = []
    services: list[list[object]] = []
    for position, client in enumerate(clients):
        company_id = _sample_company_id(psa, client, position)
        used = {"workstation": client.desktops + client.laptops, client.m365: client.users}
        if psa == "syncro" and position == 2:
            used["keeper"] = client.users
        billed = dict(used)
        if position == 0:
            billed[client.m365] -= 2
        if position == 1:
            billed["workstation"] += 1
        if position == 2:
            used["standard"], billed["standard"] = ZERO_UNIT_SEATS, 0
        psa_rows.extend(_sample_rows(psa, client, company_id, billed, builder.start, builder.end))
        for key in sorted(used):
            service = SERVICES[key]
            difference = used[key] - billed[key]
            status = (
                "match"
                if difference == 0
                else ("under-billed" if difference > 0 else "over-billed")
            )
            truth["lines"][f"{company_id}:{PSA_SERVICE_IDS[psa][key]}"] = {
                "client": client.name, "service": service.name, "status": status, "billed": billed[key], "expected": used[key],
                "revenue_impact": _money(to_cents(difference * service.price)), "cost_impact": _money(to_cents(difference * service.cost)),
            }  # fmt: skip
        ms_rows.append(
            writer._ms_row(
                client.tenant,
                client.name,
                SERVICES[client.m365].skus[0],
                "cycleCharge",
                client.users,
                SERVICES[client.m365].cost,
                writer._uuid(),
                builder.start,
            )
        )
        counts = {"Desktop": client.desktops, "Laptop": client.laptops}
        devices.extend(
            writer._device(client.site_uid, client.name, category, n)
            for category, count in counts.items()
            for n in range(1, count + 1)
        )
        customers.append(["Microsoft", client.tenant, client.name, company_id, client.name, ""])
        customers.append(["Datto RMM", client.site_uid, client.name, company_id, client.name, ""])
        if "keeper" in used:
            pax8_company = writer._uuid()
            customers.append(["Pax8", pax8_company, client.name, company_id, client.name, ""])
            subscription = {
                "companyId": pax8_company,
                "productId": "KPR-BUS-M",
                "price": "3.00",
                "billingTerm": "Monthly",
                "endDate": "",
            }
            pax8_rows.append(
                {
                    **subscription,
                    "id": writer._uuid(),
                    "quantity": str(client.users),
                    "status": "Active",
                    "startDate": "2025-04-01",
                }
            )
            pax8_rows.append(
                {
                    **subscription,
                    "id": writer._uuid(),
                    "quantity": "5",
                    "status": "Trial",
                    "startDate": "2026-10-20",
                }
            )
        if position == 2:
            # Written last, so the random draws of the rows above stay as they were.
            standard = SERVICES["standard"]
            ms_rows.append(
                writer._ms_row(
                    client.tenant,
                    client.name,
                    standard.skus[0],
                    "cycleCharge",
                    used["standard"],
                    standard.cost,
                    writer._uuid(),
                    builder.start,
                )
            )
    for key in ("workstation", "premium", "standard", "keeper"):
        service = SERVICES[key]
        services.extend(
            [
                VENDOR_NAMES[service.vendor],
                sku,
                sku_name,
                PSA_SERVICE_IDS[psa][key],
                service.name,
                "1",
                "",
            ]
            for sku, sku_name in service.skus
        )
    root.mkdir(parents=True, exist_ok=True)
    (root / "workspace.toml").write_text(
        f'[workspace]\nname = "Sample MSP on {PSA_SAMPLE_TITLES[psa]}"\ncurrency = "USD"\n',
        encoding="utf-8",
    )
    header = list(psa_rows[0])
    write_csv(inputs / psa / f"{psa}-export.csv", header, psa_rows)
    if psa == "halopsa":
        _write_workbook(inputs / "microsoft" / "Reconciliation.xlsx", MS_HEADER, ms_rows)
    else:
        write_csv(inputs / "microsoft" / "Reconciliation.csv", MS_HEADER, ms_rows, bom=True)
    write_csv(inputs / "datto_rmm" / "devices.csv", RMM_HEADER, devices)
    if pax8_rows:
        write_csv(inputs / "pax8" / "subscriptions.csv", PAX8_SUBSCRIPTIONS_HEADER, pax8_rows)
    tolerances: list[list[object]] = [
        [PSA_SERVICE_IDS[psa][key], SERVICES[key].name, 0]
        for key in ("workstation", "premium", "standard", "keeper")
    ]
    book = mappings_book(customers, services, tolerances)
    book.properties.creator = "MSP billing workbench demo"
    book.save(root / "mappings.xlsx")
    (root / "periods" / period / "ground_truth.json").write_text(
        json.dumps(truth, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return root


def _write_workbook(path: Path, header: list[str], rows: list[dict[str, Any]]) -> None:
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


def write_psa_samples(root: str | Path) -> list[Path]:
    """One sample workspace per PSA in :data:`PSA_SAMPLES`, under ``root``."""
    return [write_psa_sample(Path(root) / psa, psa) for psa in PSA_SAMPLES]
