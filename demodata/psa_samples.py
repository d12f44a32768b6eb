"""PSA samples: one small workspace per PSA other than Autotask's API exports.

Each (ConnectWise, HaloPSA, Syncro, Autotask's UI export) bills three clients of the demo MSP
from that PSA's own export, with three known discrepancies and its own ``ground_truth.json``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from demodata.layouts import (
    MS_HEADER,
    PAX8_SUBSCRIPTIONS_HEADER,
    RMM_HEADER,
    mdy_text,
    money_text,
    write_csv,
    write_workbook,
)
from demodata.msp import PERIOD, SEED, SERVICES, VENDOR_NAMES, Client, DemoBuilder
from demodata.workspace import DemoWriter
from workbench.mapping import mappings_book
from workbench.money import to_cents

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
        price, cost = money_text(service.price), money_text(service.cost)
        if psa == "connectwise":
            rows.append({"Company": client.name, "Agreement": f"{client.name} - Managed", "Agreement Type": "MSP", "Product ID": service_id,
                         "Description": service.name, "Quantity": str(units), "Less Included": "0", "Unit Price": price, "Unit Cost": cost,
                         "Bill Customer": "Billable", "Effective Date": "2025-01-01T00:00:00Z", "Cancelled Date": "", "Agreement Status": "Active"})  # fmt: skip
        elif psa == "halopsa":
            rows.append({"id": f"R{company_id}", "client_id": company_id, "client_name": client.name, "item_id": service_id,
                         "item_shortdescription": f"{service.name} $MONTH $YEAR", "item_longdescription": "", "qty_order": f"{units}.00",
                         "unit_price": price, "unit_cost": cost, "net_amount": money_text(service.price * units)})  # fmt: skip
        elif psa == "syncro":
            rows.append({"customer_id": company_id, "customer_business_then_name": client.name, "schedule_id": f"9{company_id}", "product_id": service_id,
                         "name": service.name, "description": "Monthly", "quantity": f"{units}.0",
                         "retail_cents": str(int(service.price * 100)), "cost_cents": str(int(service.cost * 100))})  # fmt: skip
        else:
            rows.append({"Account ID": company_id, "Account Name": client.name, "Contract Name": f"{client.name} - Managed Services",
                         "Service ID": service_id, "Service Name": service.name, "Units": str(units), "Unit Price": price, "Unit Cost": cost,
                         "Start Date": mdy_text(start), "End Date": mdy_text(end)})  # fmt: skip
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
                "revenue_impact": money_text(to_cents(difference * service.price)), "cost_impact": money_text(to_cents(difference * service.cost)),
            }  # fmt: skip
        ms_rows.append(
            writer.ms_row(
                client.tenant,
                client.name,
                SERVICES[client.m365].skus[0],
                "cycleCharge",
                client.users,
                SERVICES[client.m365].cost,
                writer.random_uuid(),
                builder.start,
            )
        )
        counts = {"Desktop": client.desktops, "Laptop": client.laptops}
        devices.extend(
            writer.device_row(client.site_uid, client.name, category, n)
            for category, count in counts.items()
            for n in range(1, count + 1)
        )
        customers.append(["Microsoft", client.tenant, client.name, company_id, client.name, ""])
        customers.append(["Datto RMM", client.site_uid, client.name, company_id, client.name, ""])
        if "keeper" in used:
            pax8_company = writer.random_uuid()
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
                    "id": writer.random_uuid(),
                    "quantity": str(client.users),
                    "status": "Active",
                    "startDate": "2025-04-01",
                }
            )
            pax8_rows.append(
                {
                    **subscription,
                    "id": writer.random_uuid(),
                    "quantity": "5",
                    "status": "Trial",
                    "startDate": "2026-10-20",
                }
            )
        if position == 2:
            # Written last, so the random draws of the rows above stay as they were.
            standard = SERVICES["standard"]
            ms_rows.append(
                writer.ms_row(
                    client.tenant,
                    client.name,
                    standard.skus[0],
                    "cycleCharge",
                    used["standard"],
                    standard.cost,
                    writer.random_uuid(),
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
        write_workbook(inputs / "microsoft" / "Reconciliation.xlsx", MS_HEADER, ms_rows)
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


def write_psa_samples(root: str | Path) -> list[Path]:
    """One sample workspace per PSA in :data:`PSA_SAMPLES`, under ``root``."""
    return [write_psa_sample(Path(root) / psa, psa) for psa in PSA_SAMPLES]
