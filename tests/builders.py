"""Tiny input files in the vendors' real layouts, written row by row for one test at a time."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from demodata.layouts import HUNTRESS_HEADER, MS_HEADER, RMM_HEADER, write_csv

TENANT = "6f1d2c3b-4a59-4e2f-8a7b-1c2d3e4f5a6b"


def ms_row(charge: str, seats: int, subtotal: str, **extra: Any) -> dict[str, Any]:
    """A Partner Center new-commerce row for one Business Premium subscription."""
    row = {
        "CustomerId": TENANT.upper(),
        "CustomerName": "Acme Dental Group",
        "ProductId": "CFQ7TTC0LCHC",
        "SkuId": "0002",
        "SkuName": "Microsoft 365 Business Premium",
        "ChargeType": charge,
        "UnitPrice": "22.00",
        "Quantity": str(seats),
        "BillableQuantity": str(seats),
        "EffectiveUnitPrice": "22.0000",
        "Subtotal": subtotal,
        "Total": subtotal,
        "SubscriptionId": "a0b1c2d3-0000-4000-8000-000000000001",
        "ChargeStartDate": "10/1/2026",
        "ChargeEndDate": "10/31/2026",
    }
    row.update(extra)
    return row


def write_ms(path: Path, rows: list[dict[str, Any]]) -> Path:
    write_csv(path, MS_HEADER, rows, bom=True)
    return path


_DEVICE_NUMBERS = itertools.count(1)


def device(category: str, **extra: str) -> dict[str, str]:
    """A Datto RMM device row; every device gets its own uid unless ``extra`` names one."""
    row = {
        "uid": f"dev-{category}-{next(_DEVICE_NUMBERS)}",
        "siteUid": "site-1",
        "siteName": "Acme Dental Group",
        "hostname": "ACME-001",
        "deviceType.category": category,
        "deviceClass": "device",
        "suspended": "false",
        "deleted": "false",
    }
    row.update(extra)
    return row


def write_rmm(path: Path, rows: list[dict[str, str]]) -> Path:
    write_csv(path, RMM_HEADER, rows)
    return path


def write_huntress(path: Path, rows: list[dict[str, str]]) -> Path:
    write_csv(path, HUNTRESS_HEADER, rows)
    return path


#: The Autotask service catalogue of the tiny workspaces.
CATALOGUE = [
    {"id": "30", "name": "Microsoft 365 Business Premium", "unitPrice": "26.40", "unitCost": "22.00", "periodType": "m"},
    {"id": "31", "name": "Managed workstation", "unitPrice": "45.00", "unitCost": "12.00", "periodType": "m"},
    {"id": "32", "name": "Backup per 100 GB", "unitPrice": "9.99", "unitCost": "4.00", "periodType": "m"},
    {"id": "33", "name": "Gold managed user bundle", "unitPrice": "95.00", "unitCost": "40.00", "periodType": "m"},
    {"id": "34", "name": "Managed device bundle", "unitPrice": "65.00", "unitCost": "20.00", "periodType": "m"},
]  # fmt: skip


def write_autotask(
    folder: Path,
    *,
    lines: dict[str, int] | None = None,
    prices: dict[str, str] | None = None,
    units: list[dict[str, str]] | None = None,
    contract_services: list[dict[str, str]] | None = None,
) -> Path:
    """The five Autotask exports for one company (id 10) and its recurring contract (20).

    ``lines`` maps catalogue service ids to units billed in October 2026 (default: 10 units of
    service 30), each through contract service ``4x`` and unit row ``5x`` for service ``3x``;
    ``prices`` overrides a line's unit price. ``units`` and ``contract_services`` replace those
    exports' rows outright, for tests about broken rows.
    """
    lines = {"30": 10} if lines is None else lines
    catalogue = {service["id"]: service for service in CATALOGUE}
    write_csv(
        folder / "Companies.csv",
        ["id", "companyName", "companyType"],
        [{"id": "10", "companyName": "Acme Dental Group", "companyType": "1"}],
    )
    write_csv(
        folder / "Contracts.csv",
        ["id", "companyID", "contractName", "contractType", "status"],
        [
            {
                "id": "20",
                "companyID": "10",
                "contractName": "Acme - Managed",
                "contractType": "7",
                "status": "1",
            }
        ],
    )
    write_csv(
        folder / "Services.csv", ["id", "name", "unitPrice", "unitCost", "periodType"], CATALOGUE
    )
    write_csv(
        folder / "ContractServices.csv",
        ["id", "contractID", "serviceID", "unitPrice", "unitCost", "adjustedPrice", "invoiceDescription"],
        contract_services
        if contract_services is not None
        else [
            {"id": f"4{sid[1:]}", "contractID": "20", "serviceID": sid, "unitPrice": (prices or {}).get(sid, catalogue[sid]["unitPrice"]),
             "unitCost": catalogue[sid]["unitCost"], "adjustedPrice": "", "invoiceDescription": catalogue[sid]["name"]}
            for sid in lines
        ],
    )  # fmt: skip
    write_csv(
        folder / "ContractServiceUnits.csv",
        ["id", "contractID", "contractServiceID", "serviceID", "startDate", "endDate", "units"],
        units
        if units is not None
        else [
            {"id": f"5{sid[1:]}", "contractID": "20", "contractServiceID": f"4{sid[1:]}", "serviceID": sid,
             "startDate": "2026-10-01T00:00:00Z", "endDate": "2026-10-31T00:00:00Z", "units": str(count)}
            for sid, count in lines.items()
        ],
    )  # fmt: skip
    return folder


def write_mappings(
    path: Path,
    *,
    customers: list[list[Any]],
    services: list[list[Any]],
    tolerances: list[list[Any]] | None = None,
    aliases: list[list[Any]] | None = None,
    bundles: list[list[Any]] | None = None,
    bundle_clients: list[list[Any]] | None = None,
) -> Path:
    """A mappings workbook with the three sheets and their real headers (plus the optional
    Aliases, Bundles and Bundle clients sheets when rows are given)."""
    import openpyxl

    from workbench.mapping import (
        ALIAS_HEADERS,
        BUNDLE_CLIENT_HEADERS,
        BUNDLE_HEADERS,
        CUSTOMER_HEADERS,
        SERVICE_HEADERS,
        TOLERANCE_HEADERS,
    )

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Customers"
    for title, header, rows in (
        ("Customers", CUSTOMER_HEADERS, customers),
        ("Services", SERVICE_HEADERS, services),
        ("Tolerances", TOLERANCE_HEADERS, tolerances or []),
        ("Aliases", ALIAS_HEADERS, aliases),
        ("Bundles", BUNDLE_HEADERS, bundles),
        ("Bundle clients", BUNDLE_CLIENT_HEADERS, bundle_clients),
    ):
        if rows is None:
            continue
        target = book[title] if title in book.sheetnames else book.create_sheet(title)
        target.append(list(header))
        for row in rows:
            target.append(row)
    book.save(path)
    return path


def write_workspace(root: Path, *, period: str = "2026-10") -> Path:
    (root / "periods" / period / "inputs").mkdir(parents=True, exist_ok=True)
    (root / "workspace.toml").write_text(
        '[workspace]\nname = "Test MSP"\ncurrency = "USD"\n', encoding="utf-8"
    )
    return root / "periods" / period / "inputs"


def reconciliation_line(line_id: str, status: Any, **fields: Any) -> dict[str, Any]:
    """One row of ``Reconciliation.lines`` with neutral defaults: nothing billed, nothing used."""
    from decimal import Decimal

    from workbench.result import LINE_COLUMNS

    line: dict[str, Any] = dict.fromkeys(LINE_COLUMNS, "")
    line.update(
        line_id=line_id,
        status=status,
        billed_quantity=0,
        expected_quantity=None,
        difference=None,
        tolerance=0,
        unit_price=None,
        unit_cost=None,
        revenue_impact=Decimal("0.00"),
        cost_impact=Decimal("0.00"),
        vendor_spend=None,
    )
    line.update(fields)
    return line
