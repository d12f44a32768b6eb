"""The demo MSP, Northwind Managed IT: its services, its 25 clients, and the truth of every line.

:class:`DemoBuilder` draws each client (users, devices, Microsoft 365 plan, Huntress) from a
seeded random stream, billed exactly what it uses; :func:`demo_msp` then injects the known
discrepancies (each tied to a client and recorded in ``truth["notes"]``) and writes the
expected outcome of every line into ``truth`` (the workspace's ``ground_truth.json``). The
vendors added later draw from a stream of their own, so the first demo's numbers stay as they
were.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from demodata.layouts import money_text
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


# -- scenarios: the injected discrepancies, each tied to one client ------------------------------

INTERNAL_TENANT_NAME = "Northwind Managed IT (internal)"
NEW_TENANT_NAME = "Lakeshore Dental Studio"
NEW_SITE_NAME = "Zephyr Travel - Harbor Branch"
#: A second Huntress organization of a client, made under the trading name the client is moving
#: to: no name of the PSA is close, but it watches the client's Microsoft 365 tenant, which the
#: client's mapped Partner Center customer is. Its id, its client and its agents.
TENANT_LINKED_ORG = "Saltmarsh Shipping"
TENANT_LINKED_ORG_ID = "4990"
TENANT_LINKED_CLIENT = "Tidewater Freight"
TENANT_LINKED_AGENTS = 3
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
    note(
        f"{TENANT_LINKED_ORG}: a new Huntress organization nobody mapped, on {TENANT_LINKED_CLIENT}'s "
        "Microsoft tenant (unmapped customer, suggested by the shared tenant)"
    )
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


def bundle_rows() -> list[list[object]]:
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
            "revenue_impact": money_text(to_cents((expected - billed) * service.price)) if status != "match" else "0.00",
            "cost_impact": money_text(to_cents((expected - billed) * service.cost)) if status != "match" else "0.00",
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
                "revenue_impact": money_text(to_cents((used - billed) * price))
                if proposes
                else "0.00",
                "cost_impact": money_text(to_cents((used - billed) * service.cost))
                if proposes
                else "0.00",
            }


def demo_msp(seed: int = SEED, period: str = PERIOD) -> DemoBuilder:
    """The demo MSP with every scenario injected and the truth of every line written."""
    builder = DemoBuilder(seed=seed, period=period)
    _scenarios(builder)
    _more_vendor_scenarios(builder)
    _bundle_scenarios(builder)
    _line_truth(builder)
    return builder
