"""Seeded workspaces of a chosen size, in the vendors' real layouts, for the benchmarks.

Scales:

``small``
    The demo workspace (``demo/workspace``): 25 clients, every kind of finding.
``large``
    2,000 clients, about 200,000 contract lines and 2,000,000 usage rows.
``distributor``
    20,000 small clients, the same volume of rows spread thinner.

A generated workspace holds the Autotask API exports (companies, contracts, services, contract
services and contract service units), a Partner Center new-commerce reconciliation file, a Datto
RMM device export and a Huntress organizations export, and a mappings workbook mapping every
Microsoft tenant, every RMM site and every Huntress organization to its client, except one RMM
site left unmapped on purpose (a new branch, not yet on any contract). Every client is a
multi-site company: each site has its own contract, whose lines bill that site's devices and
users.

What is billed equals what is used except for a few injected discrepancies per thousand lines
(under-billed, over-billed, unbilled usage, billed without usage), listed with the unmapped
site's lines in ``periods/2026-10/ground_truth.json``: the benchmark checks the engine finds
exactly those.

Workspaces are generated once and kept in ``bench/data/`` (not committed), keyed by scale, seed
and :data:`GENERATOR_VERSION`. Usage: ``python bench/scale.py large`` prints the folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from demodata.layouts import HUNTRESS_HEADER, MS_HEADER, RMM_HEADER
from demodata.msp import PERIOD, SERVICES, VENDOR_NAMES, ServiceDef
from workbench.mapping import mappings_book
from workbench.result import Status
from workbench.workspace import period_bounds

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
DEMO = ROOT / "demo" / "workspace"
#: Bumped whenever generated files would change, so cached workspaces are made again.
GENERATOR_VERSION = 1
SEED = 20261101

# Words for client names and site towns: "Flint Delta Logistics", site "... - Erie".
_FIRST = ("Flint", "Cobalt", "Harbor", "Summit", "Granite", "Willow", "Cedar", "Aspen", "Birch",
          "Copper", "Ember", "Falcon", "Juniper", "Maple", "Meadow", "Orchid", "Prairie", "Quartz",
          "Raven", "Sierra", "Timber", "Violet", "Walnut", "Yarrow", "Zenith", "Alder", "Beacon")  # fmt: skip
_SECOND = ("Delta", "Ridge", "Valley", "Point", "Creek", "Bay", "Hill", "Lake", "Park", "Stone",
           "Brook", "Field", "Grove", "Haven", "Crest", "Forge", "Mill", "Port", "Rock", "Spring")  # fmt: skip
_TRADE = ("Logistics", "Dental", "Law Group", "Accounting", "Veterinary", "Architects", "Roofing",
          "Marine", "Manufacturing", "Pediatrics", "Title & Escrow", "Insurance", "Builders",
          "Engineering", "Credit Union", "Freight", "Winery", "Plumbing", "Travel", "Clinic")  # fmt: skip
_TOWNS = ("Erie", "Akron", "Dayton", "Toledo", "Salem", "Dover", "Troy", "Albany", "Utica", "Camden",
          "Newark", "Trenton", "Bangor", "Concord", "Nashua", "Keene", "Burlington", "Rutland",
          "Hartford", "Norwich", "Bristol", "Warwick", "Lowell", "Quincy", "Lynn", "Medford")  # fmt: skip

# Services a generated client uses; a client takes Premium or Standard for its users.
_DEVICE_SERVICES = ("workstation", "server", "network", "edr")
_USER_SERVICES = ("premium", "standard", "sat")
_RMM_CATEGORIES = {"Desktop": 0.55, "Laptop": 0.30, "Server": 0.05, "Network Device": 0.10}
_ON_CONTRACT_ONLY = "exchange"  # billed to a few clients who have no Exchange licences
_MS_SKU = {"premium": SERVICES["premium"].skus[0], "standard": SERVICES["standard"].skus[0]}
_TOLERANCE = 0  # every injected difference is a discrepancy


@dataclass(frozen=True)
class Scale:
    """How big a generated workspace is; the counts are targets, met to within rounding."""

    name: str
    clients: int
    contract_lines: int
    usage_rows: int
    #: Injected discrepancies per contract service (client and service), e.g. 3 per 1,000.
    discrepancy_rate: float = 0.003


SCALES = {
    "large": Scale("large", clients=2_000, contract_lines=200_000, usage_rows=2_000_000),
    "distributor": Scale(
        "distributor", clients=20_000, contract_lines=200_000, usage_rows=2_000_000
    ),
}


@dataclass
class _Client:
    company_id: str
    name: str
    tenant: str
    huntress_id: str
    m365: str  # "premium" or "standard"
    sat: bool
    sites: list[tuple[str, str]]  # (site uid, site name)
    devices: list[dict[str, int]]  # per site: RMM category -> devices
    users: list[int]  # per site
    seats: list[int]  # Microsoft seats of each subscription
    billed: dict[str, list[int]] = field(default_factory=dict)  # service -> units per site

    def used(self, service: str) -> int:
        """What the vendors show for a service across all the client's sites."""
        if service == "workstation":
            return sum(site["Desktop"] + site["Laptop"] for site in self.devices)
        if service == "server":
            return sum(site["Server"] for site in self.devices)
        if service == "network":
            return sum(site["Network Device"] for site in self.devices)
        if service == "edr":
            return sum(site["Desktop"] + site["Laptop"] + site["Server"] for site in self.devices)
        if service == self.m365:
            return sum(self.seats)
        if service == "sat" and self.sat:
            return sum(self.users)
        return 0


def workspace_for(scale: str | Scale, *, seed: int = SEED, folder: Path = DATA) -> Path:
    """The workspace of a scale, generated on first use and kept under ``folder``.

    Parameters
    ----------
    scale
        ``"small"`` (the demo workspace), a name from :data:`SCALES`, or a :class:`Scale`.
    seed
        Seed of the random choices: the same seed gives the same files.
    folder
        Where generated workspaces are kept.

    Returns
    -------
    pathlib.Path
        The workspace folder (period ``2026-10``).
    """
    if scale == "small":
        return DEMO
    chosen = SCALES[scale] if isinstance(scale, str) else scale
    target = folder / f"{chosen.name}-v{GENERATOR_VERSION}-seed{seed}"
    if (target / "complete").exists():
        return target
    if target.exists():
        shutil.rmtree(target)  # a generation stopped half-way
    generate(chosen, target, seed=seed)
    (target / "complete").write_text("generated\n", encoding="utf-8")
    return target


def generate(scale: Scale, root: Path, *, seed: int = SEED) -> dict[str, Any]:
    """Write a workspace of ``scale`` under ``root`` and return its ground truth."""
    rng = random.Random(seed)
    clients = _clients(scale, rng)
    truth = _inject(clients, scale, rng)
    inputs = root / "periods" / PERIOD / "inputs"
    (root / "workspace.toml").parent.mkdir(parents=True, exist_ok=True)
    (root / "workspace.toml").write_text(
        f'[workspace]\nname = "Bench MSP ({scale.name})"\ncurrency = "USD"\n', encoding="utf-8"
    )
    new_site = _Site(_uuid(rng), f"{clients[0].name} - New Branch")
    new_devices = {"Desktop": 3, "Laptop": 2}
    _write_autotask(inputs / "autotask", clients)
    _write_microsoft(inputs / "microsoft", clients, rng)
    _write_rmm(inputs / "datto_rmm", clients, new_site, new_devices, rng)
    _write_huntress(inputs / "huntress", clients)
    _write_mappings(root / "mappings.xlsx", clients)
    truth["unmapped_customers"] = [
        {"vendor": "datto_rmm", "customer_key": new_site.uid, "sku": category, "quantity": count}
        for category, count in new_devices.items()
    ]
    truth["usage_rows"] = (
        len(clients)  # one Huntress organization each
        + sum(len(client.seats) for client in clients)
        + sum(sum(site.values()) for client in clients for site in client.devices)
        + sum(new_devices.values())
    )
    truth["contract_lines"] = sum(
        sum(1 for units in per_site if units > 0)
        for client in clients
        for per_site in client.billed.values()
    )
    truth["clients"] = len(clients)
    (root / "periods" / PERIOD / "ground_truth.json").write_text(
        json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return truth


@dataclass(frozen=True)
class _Site:
    uid: str
    name: str


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _clients(scale: Scale, rng: random.Random) -> list[_Client]:
    services_per_site = len(_DEVICE_SERVICES) + 1.5  # devices, EDR, Microsoft 365, half train
    sites = max(1, round(scale.contract_lines / scale.clients / services_per_site))
    rows_per_client = scale.usage_rows / scale.clients
    clients = []
    names: set[str] = set()
    for position in range(scale.clients):
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {rng.choice(_TRADE)}"
        if name in names:
            name = f"{name} {position}"
        names.add(name)
        count = max(1, round(sites * rng.uniform(0.7, 1.3)))
        towns = rng.sample(_TOWNS, min(count, len(_TOWNS)))
        site_names = [
            f"{name} - {towns[n % len(towns)]}"
            + (f" {n // len(towns) + 1}" if n >= len(towns) else "")
            for n in range(count)
        ]
        # Microsoft rows are about 30% of a client's usage rows, devices the rest.
        rows = max(8, round(rows_per_client * rng.uniform(0.7, 1.3)))
        subscriptions = max(1, round(rows * 0.3))
        seats = [rng.randint(1, 3) for _ in range(subscriptions)]
        devices_total = max(count, rows - subscriptions - 1)
        devices = []
        for _ in range(count):
            share = devices_total // count
            per_site = {c: int(share * w) for c, w in _RMM_CATEGORIES.items()}
            per_site["Desktop"] += share - sum(per_site.values())
            devices.append(per_site)
        users = _split(sum(seats), count)
        clients.append(
            _Client(
                company_id=str(40_000_000 + position * 7),
                name=name,
                tenant=_uuid(rng),
                huntress_id=str(700_000 + position),
                m365="premium" if rng.random() < 0.6 else "standard",
                sat=rng.random() < 0.5,
                sites=[(_uuid(rng), site) for site in site_names],
                devices=devices,
                users=users,
                seats=seats,
            )
        )
    for client in clients:
        for service in (*_DEVICE_SERVICES, client.m365, *(("sat",) if client.sat else ())):
            client.billed[service] = _per_site(client, service)
    return clients


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if n < extra else 0) for n in range(parts)]


def _per_site(client: _Client, service: str) -> list[int]:
    """What each site's contract bills for a service when billing matches usage."""
    if service in ("premium", "standard", "sat"):
        return list(client.users)
    return [_site_count(site, service) for site in client.devices]


def _site_count(site: dict[str, int], service: str) -> int:
    categories = {
        "workstation": ("Desktop", "Laptop"),
        "server": ("Server",),
        "network": ("Network Device",),
        "edr": ("Desktop", "Laptop", "Server"),
    }[service]
    return sum(site[category] for category in categories)


def _inject(clients: list[_Client], scale: Scale, rng: random.Random) -> dict[str, Any]:
    """Change what a few clients are billed and record what the reconciliation must find."""
    keys = [(client, service) for client in clients for service in sorted(client.billed)]
    count = max(4, round(len(keys) * scale.discrepancy_rate))
    chosen = rng.sample(range(len(keys)), count)
    kinds = (Status.UNDER_BILLED, Status.OVER_BILLED, Status.UNBILLED_USAGE)
    discrepancies: dict[str, dict[str, Any]] = {}
    for number, position in enumerate(chosen):
        client, service = keys[position]
        used = client.used(service)
        if used == 0:
            continue
        kind = kinds[number % len(kinds)]
        units = client.billed[service]
        if kind == Status.UNBILLED_USAGE:
            client.billed[service] = [0] * len(units)
        else:
            site = max(range(len(units)), key=lambda n: units[n])
            change = rng.randint(1, max(1, min(5, units[site])))
            units[site] += change if kind == Status.OVER_BILLED else -change
        billed = sum(client.billed[service])
        if billed == used:
            continue
        discrepancies[_line_id(client, service)] = {
            "status": str(kind if billed else Status.UNBILLED_USAGE),
            "billed": billed,
            "expected": used,
        }
    # A few clients are billed Exchange Online, which Microsoft shows none of.
    for client in rng.sample(clients, max(1, count // 4)):
        client.billed[_ON_CONTRACT_ONLY] = [0] * (len(client.sites) - 1) + [2]
        discrepancies[_line_id(client, _ON_CONTRACT_ONLY)] = {
            "status": str(Status.BILLED_WITHOUT_USAGE),
            "billed": 2,
            "expected": 0,
        }
    return {"period": PERIOD, "discrepancies": discrepancies}


def _line_id(client: _Client, service: str) -> str:
    return f"{client.company_id}:{SERVICES[service].service_id}"


def _write_rows(
    path: Path, header: list[str], rows: Iterable[list[object]], *, bom: bool = False
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _write_autotask(folder: Path, clients: list[_Client]) -> None:
    start, end = period_bounds(PERIOD)
    ids = iter(range(10_000_001, 999_999_999, 3))
    companies, contracts, contract_services, units = [], [], [], []
    for client in clients:
        companies.append(
            [client.company_id, client.name, f"C{client.company_id[-5:]}", "1", "True", ""]
        )
        for position, (_, site) in enumerate(client.sites):
            contract_id = str(next(ids))
            contracts.append([contract_id, client.company_id, f"{site} - Managed Services", f"MS-{contract_id}",
                              "7", "1", "2025-01-01", "2027-12-31", "m", "1"])  # fmt: skip
            for key in sorted(client.billed):
                billed = client.billed[key][position]
                if billed == 0:
                    continue
                service = SERVICES[key]
                contract_service_id = str(next(ids))
                price = _money(service.price)
                contract_services.append([contract_service_id, contract_id, service.service_id, price,
                                          _money(service.cost), "", price, "", service.name, "", "", "False"])  # fmt: skip
                units.append([str(next(ids)), contract_id, contract_service_id, service.service_id,
                              start.isoformat(), end.isoformat(), str(billed), _money(service.price * billed),
                              _money(service.cost * billed), "", "", "", ""])  # fmt: skip
    _write_rows(folder / "Companies.csv",
                ["id", "companyName", "companyNumber", "companyType", "isActive", "parentCompanyID"], companies)  # fmt: skip
    _write_rows(folder / "Contracts.csv",
                ["id", "companyID", "contractName", "contractNumber", "contractType", "status", "startDate",
                 "endDate", "contractPeriodType", "billingPreference"], contracts)  # fmt: skip
    _write_rows(folder / "Services.csv",
                ["id", "name", "description", "invoiceDescription", "unitPrice", "unitCost", "periodType", "isActive"],
                [[s.service_id, s.name, s.name, s.name, _money(s.price), _money(s.cost), "m", "True"]
                 for s in _services()])  # fmt: skip
    _write_rows(folder / "ContractServices.csv",
                ["id", "contractID", "serviceID", "unitPrice", "unitCost", "adjustedPrice", "internalCurrencyUnitPrice",
                 "internalCurrencyAdjustedPrice", "invoiceDescription", "internalDescription", "quoteItemID", "isOptional"],
                contract_services)  # fmt: skip
    _write_rows(folder / "ContractServiceUnits.csv",
                ["id", "contractID", "contractServiceID", "serviceID", "startDate", "endDate", "units", "price", "cost",
                 "internalCurrencyPrice", "approveAndPostDate", "organizationalLevelAssociationID", "vendorCompanyID"],
                units)  # fmt: skip


def _services() -> list[ServiceDef]:
    keys = (*_DEVICE_SERVICES, *_USER_SERVICES, "itdr", _ON_CONTRACT_ONLY)
    return [SERVICES[key] for key in keys]


def _write_microsoft(folder: Path, clients: list[_Client], rng: random.Random) -> None:
    start, end = period_bounds(PERIOD)
    day = f"{start.month}/{start.day}/{start.year}"
    last = f"{end.month}/{end.day}/{end.year}"
    column = {name: position for position, name in enumerate(MS_HEADER)}

    def rows() -> Iterable[list[object]]:
        for client in clients:
            sku, sku_name = _MS_SKU[client.m365]
            product_id, sku_id = sku.split(":")
            cost = SERVICES[client.m365].cost
            for seats in client.seats:
                row: list[object] = [""] * len(MS_HEADER)
                subtotal = _money(cost * seats)
                for name, value in (
                    ("PartnerId", "8f1c2d3e-0000-4a5b-9c6d-0e1f2a3b4c5d"), ("CustomerId", client.tenant),
                    ("CustomerName", client.name), ("CustomerCountry", "US"), ("InvoiceNumber", "G100000001"),
                    ("ProductId", product_id), ("SkuId", sku_id), ("SkuName", sku_name), ("ProductName", sku_name),
                    ("ChargeType", "cycleCharge"), ("UnitPrice", _money(cost)), ("Quantity", str(seats)),
                    ("Subtotal", subtotal), ("TaxTotal", "0.00"), ("Total", subtotal), ("Currency", "USD"),
                    ("PublisherName", "Microsoft Corporation"), ("SubscriptionId", _uuid(rng)),
                    ("ChargeStartDate", day), ("ChargeEndDate", last),
                    ("TermAndBillingCycle", "One-Year commitment for monthly/yearly billing"),
                    ("EffectiveUnitPrice", f"{cost:.4f}"), ("UnitType", "Licenses"), ("BillableQuantity", str(seats)),
                    ("BillingFrequency", "Monthly"), ("PricingCurrency", "USD"), ("PCToBCExchangeRate", "1"),
                ):  # fmt: skip
                    row[column[name]] = value
                yield row

    _write_rows(folder / "Reconciliation_G100000001.csv", MS_HEADER, rows(), bom=True)


def _write_rmm(
    folder: Path,
    clients: list[_Client],
    new_site: _Site,
    new_devices: dict[str, int],
    rng: random.Random,
) -> None:
    kinds = {"Desktop": ("Desktop", "device", "Windows 11 Pro"), "Laptop": ("Laptop", "device", "Windows 11 Pro"),
             "Server": ("Server", "device", "Windows Server 2022 Standard"),
             "Network Device": ("Network Device", "rmmnetworkdevice", "")}  # fmt: skip
    udfs = [""] * 30

    def device(site: _Site, category: str, number: int) -> list[object]:
        type_name, device_class, system = kinds[category]
        return [_uuid(rng), site.uid, site.name, f"{category[:3].upper()}-{number:05d}", category, type_name,
                device_class, system, "2026-10-30T09:15:00Z", "true", "false", "false", "2025-06-01", "",
                *udfs]  # fmt: skip

    def rows() -> Iterable[list[object]]:
        for client in clients:
            for (uid, name), counts in zip(client.sites, client.devices, strict=True):
                site = _Site(uid, name)
                for category, count in counts.items():
                    for number in range(count):
                        yield device(site, category, number)
        for category, count in new_devices.items():
            for number in range(count):
                yield device(new_site, category, number)

    _write_rows(folder / "devices.csv", RMM_HEADER, rows())


def _write_huntress(folder: Path, clients: list[_Client]) -> None:
    rows = [
        [client.huntress_id, client.name, client.huntress_id, str(client.used("edr")), "0", str(sum(client.seats)),
         client.tenant, str(client.used("sat")), "2025-03-04T15:20:11Z", "2026-10-31T23:10:42Z"]
        for client in clients
    ]  # fmt: skip
    _write_rows(folder / "organizations.csv", HUNTRESS_HEADER, rows)


def _write_mappings(path: Path, clients: list[_Client]) -> None:
    customers: list[list[object]] = []
    for client in clients:
        customers.append(
            ["Microsoft", client.tenant, client.name, client.company_id, client.name, ""]
        )
        customers.append(
            ["Huntress", client.huntress_id, client.name, client.company_id, client.name, ""]
        )
        # Every site maps to its client: a site without a row would be an unmapped customer.
        customers.extend(
            ["Datto RMM", uid, name, client.company_id, client.name, ""]
            for uid, name in client.sites
        )
    services: list[list[object]] = [
        [VENDOR_NAMES[s.vendor], sku, sku_name, s.service_id, s.name, s.factor, ""]
        for s in _services()
        for sku, sku_name in s.skus
    ]
    tolerances: list[list[object]] = [[s.service_id, s.name, _TOLERANCE] for s in _services()]
    mappings_book(customers, services, tolerances).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", choices=["small", *SCALES])
    parser.add_argument("--seed", type=int, default=SEED)
    options = parser.parse_args()
    print(workspace_for(options.scale, seed=options.seed))


if __name__ == "__main__":
    main()
