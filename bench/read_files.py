"""Reading vendor exports into canonical rows, against pandas' own readers, in one run.

Generates (seeded, in a temporary folder) a 200,000-row Partner Center workbook, written with
openpyxl's write-only mode, and a 1,000,000-row Partner Center CSV. Times:

* ours: :func:`workbench.sources.reading.read_table` (text cells, header, decimal mark), and
  the same followed by the Partner Center importer (canonical usage rows);
* pandas: ``pd.read_excel(engine="openpyxl")``, ``pd.read_excel(engine="calamine")`` and
  ``pd.read_csv(dtype=str)``, which give raw frames only.

Prints a table of seconds and ratios (to the fastest pandas reader of the same file) and writes
it to ``bench/results/read_files.{md,json}``. Usage: ``python bench/read_files.py [--rows-xlsx N
--rows-csv N]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from demodata.layouts import MS_HEADER
from workbench.sources import microsoft
from workbench.sources.formats import ReadContext
from workbench.sources.reading import read_table
from workbench.workspace import period_bounds

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261031
SKUS = [
    ("CFQ7TTC0LCHC", "0002", "Microsoft 365 Business Premium", "22.00"),
    ("CFQ7TTC0LH18", "0001", "Microsoft 365 Business Basic", "6.00"),
    ("CFQ7TTC0LF8Q", "0001", "Exchange Online (Plan 1)", "4.00"),
    ("CFQ7TTC0LFLZ", "0002", "Microsoft 365 E3", "36.00"),
]
CHARGES = ["cycleCharge", "renew", "new", "addQuantity", "removeQuantity"]


def partner_center_rows(count: int) -> list[list[str]]:
    """Plausible Partner Center rows: 2,000 customers, a few SKUs, seat changes and refunds."""
    rng = random.Random(SEED)
    customers = [
        (f"{rng.getrandbits(128):032x}", f"Customer {number:04d}") for number in range(2_000)
    ]
    rows = []
    for number in range(count):
        tenant, name = customers[rng.randrange(len(customers))]
        guid = f"{tenant[:8]}-{tenant[8:12]}-4{tenant[13:16]}-8{tenant[17:20]}-{tenant[20:]}"
        product, sku, sku_name, price = SKUS[rng.randrange(len(SKUS))]
        seats = rng.randint(1, 300)
        charge = CHARGES[rng.randrange(len(CHARGES))]
        sign = "-" if charge == "removeQuantity" else ""
        subtotal = f"{sign}{seats * float(price):.2f}"
        cells = {
            "PartnerId": "a1b2c3d4-0000-4000-8000-00000000beef",
            "CustomerId": guid,
            "CustomerName": name,
            "CustomerDomainName": f"customer{number % 2000:04d}.onmicrosoft.com",
            "CustomerCountry": "US",
            "InvoiceNumber": "G052637185",
            "MpnId": "1234567",
            "OrderId": f"order-{number:08d}",
            "OrderDate": "10/1/2026",
            "ProductId": product,
            "SkuId": sku,
            "AvailabilityId": "CFQ7TTC0LDPB",
            "SkuName": sku_name,
            "ProductName": sku_name,
            "ChargeType": charge,
            "UnitPrice": price,
            "Quantity": str(seats),
            "Subtotal": subtotal,
            "TaxTotal": "0.00",
            "Total": subtotal,
            "Currency": "USD",
            "PublisherName": "Microsoft Corporation",
            "SubscriptionId": f"sub-{number:08d}",
            "ChargeStartDate": "10/1/2026",
            "ChargeEndDate": "10/31/2026",
            "TermAndBillingCycle": "One-Year commitment for monthly/yearly billing",
            "EffectiveUnitPrice": price,
            "UnitType": "Licenses",
            "BillableQuantity": str(seats),
            "BillingFrequency": "Monthly",
            "PricingCurrency": "USD",
            "PCToBCExchangeRate": "1",
            "PCToBCExchangeRateDate": "10/1/2026",
        }
        rows.append([cells.get(name, "") for name in MS_HEADER])
    return rows


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    numeric = {"UnitPrice", "Quantity", "Subtotal", "TaxTotal", "Total", "EffectiveUnitPrice",
               "BillableQuantity", "PCToBCExchangeRate"}  # fmt: skip
    kinds = [name in numeric for name in MS_HEADER]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Reconciliation")
    sheet.append(MS_HEADER)
    for row in rows:
        sheet.append(
            [float(cell) if is_number else cell for cell, is_number in zip(row, kinds, strict=True)]
        )
    book.save(path)


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(MS_HEADER)
        writer.writerows(rows)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-xlsx", type=int, default=200_000)
    parser.add_argument("--rows-csv", type=int, default=1_000_000)
    options = parser.parse_args()
    start, end = period_bounds("2026-10")
    context = ReadContext("bench", start, end)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        xlsx, csv_path = Path(folder) / "pc.xlsx", Path(folder) / "pc.csv"
        write_xlsx(xlsx, partner_center_rows(options.rows_xlsx))
        write_csv(csv_path, partner_center_rows(options.rows_csv))
        cases: list[tuple[Path, int, list[tuple[str, Callable[[], Any]]]]] = [
            (
                xlsx,
                options.rows_xlsx,
                [
                    ("pandas read_excel (openpyxl)",
                     lambda: pd.read_excel(xlsx, engine="openpyxl", dtype=str)),
                    ("pandas read_excel (calamine)",
                     lambda: pd.read_excel(xlsx, engine="calamine", dtype=str)),
                    ("ours: read_table", lambda: read_table(xlsx)),
                    ("ours: read_table + canonical rows",
                     lambda: microsoft.read_new_commerce(read_table(xlsx), context)),
                ],
            ),
            (
                csv_path,
                options.rows_csv,
                [
                    ("pandas read_csv (dtype=str)",
                     lambda: pd.read_csv(csv_path, dtype=str, keep_default_na=False)),
                    ("ours: read_table", lambda: read_table(csv_path)),
                    ("ours: read_table + canonical rows",
                     lambda: microsoft.read_new_commerce(read_table(csv_path), context)),
                ],
            ),
        ]  # fmt: skip
        for path, rows, readers in cases:
            size = path.stat().st_size
            timings = []
            for name, action in readers:
                seconds, frame = timed(action)
                count = len(frame.frame if hasattr(frame, "frame") else frame)
                assert count == rows, (name, count, rows)
                timings.append((name, seconds))
            baseline = min(seconds for name, seconds in timings if name.startswith("pandas"))
            for name, seconds in timings:
                results.append(
                    {
                        "file": f"{path.suffix[1:]}, {rows:,} rows, {size / 1e6:,.0f} MB",
                        "reader": name,
                        "seconds": round(seconds, 2),
                        "ratio_to_fastest_pandas": round(seconds / baseline, 2),
                    }
                )
    header = "| file | reader | seconds | x fastest pandas |\n|---|---|---:|---:|"
    lines = [
        f"| {r['file']} | {r['reader']} | {r['seconds']:.2f} | {r['ratio_to_fastest_pandas']:.2f} |"
        for r in results
    ]
    report = "\n".join([header, *lines])
    print(report)
    output = ROOT / "bench" / "results"
    output.mkdir(parents=True, exist_ok=True)
    (output / "read_files.md").write_text(report + "\n", encoding="utf-8")
    (output / "read_files.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
