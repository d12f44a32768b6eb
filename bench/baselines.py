"""What the workbench is measured against: the obvious way to do each job with stock tools.

* :func:`pandas_reconcile`: canonical usage mapped to clients and services by two merges,
  summed with ``groupby``, outer-merged with the summed contract lines and classified with
  ``numpy.select``; no provenance, no bundles, no SKU aliases, float money.
* :func:`datacompy_reconcile`: the same aggregated frames handed to datacompy's
  ``PandasCompare`` on (client, service); its unique rows and mismatches are the discrepancies.
* :func:`duckdb_reconcile`: the same joins, sums and classification as one DuckDB query over the
  canonical frames (scanned in place); no provenance, no bundles, no SKU aliases, float factors.
* :func:`pandas_read_inputs`: every input file read raw with ``pandas.read_csv(dtype=str)`` or
  ``pandas.read_excel(engine="openpyxl")``.
* :func:`pyarrow_read_inputs`: every input file read raw with ``pyarrow.csv.read_csv`` (types
  inferred, all cores) or, for a workbook, calamine: the fastest stock way to get the cells.

The reconciliations count the same statuses the engine gives for a workspace without bundles
or aliases, which the tests check on a generated workspace.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.mapping import Mappings
from workbench.result import Status
from workbench.sources import Inputs

KEYS = ["company_id", "service_id"]


def mapping_frames(mappings: Mappings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mappings as two frames: ``vendor, customer_key, company_id`` of the mapped
    customers and ``vendor, sku, service_id, factor`` of the mapped SKUs (factor a float)."""
    customers = pd.DataFrame(
        [
            (row.vendor, row.customer_key, row.company_id)
            for row in mappings.customers
            if not row.exclude_reason and row.company_id
        ],
        columns=["vendor", "customer_key", "company_id"],
    )
    services = pd.DataFrame(
        [
            (row.vendor, row.sku, row.service_id, float(row.factor))
            for row in mappings.services
            if not row.exclude_reason and row.service_id
        ],
        columns=["vendor", "sku", "service_id", "factor"],
    )
    return customers, services


def aggregated(inputs: Inputs, mappings: Mappings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Billed and used quantity per (client, service), with bare pandas.

    Returns
    -------
    billed, used
        ``company_id, service_id, billed`` summed over contract lines, and ``company_id,
        service_id, used`` summed over mapped usage records times the SKU's factor (0 for a
        service whose vendor sends the client's usage but shows none of it).
    """
    customers, services = mapping_frames(mappings)
    usage = inputs.usage[inputs.usage["excluded_reason"] == ""]
    mapped = usage.merge(customers, on=["vendor", "customer_key"], how="inner").merge(
        services, on=["vendor", "sku"], how="inner"
    )
    mapped["units"] = mapped["quantity"] * mapped["factor"]
    used = mapped.groupby(KEYS, as_index=False).agg(used=("units", "sum"))
    used["used"] = np.ceil(used["used"] - 1e-9).astype("int64")
    # A vendor that sends a client's usage vouches for all its services: none used is 0, not
    # unknown (how "billed without usage" differs from "not reconciled").
    measured = (
        mapped[["company_id", "vendor"]]
        .drop_duplicates()
        .merge(services[["vendor", "service_id"]].drop_duplicates(), on="vendor")[KEYS]
        .drop_duplicates()
    )
    used = measured.merge(used, on=KEYS, how="left").fillna({"used": 0})
    used["used"] = used["used"].astype("int64")
    contracts = inputs.contract_lines[inputs.contract_lines["excluded_reason"] == ""]
    billed = contracts.groupby(KEYS, as_index=False).agg(billed=("quantity", "sum"))
    return billed, used


def pandas_reconcile(inputs: Inputs, mappings: Mappings) -> Counter[str]:
    """Lines per status, by groupby + outer merge + classification.

    Returns
    -------
    collections.Counter
        Status value -> number of (client, service) lines.
    """
    billed, used = aggregated(inputs, mappings)
    lines = billed.merge(used, on=KEYS, how="outer")
    lines = lines[lines["billed"].notna() | (lines["used"] > 0)]  # neither billed nor used
    checked = lines["used"].notna()
    on_contract = lines["billed"].notna()  # a contract line at 0 units is on the contract
    billed_units = lines["billed"].fillna(0)
    used_units = lines["used"].fillna(0)
    tolerance = lines["service_id"].map(mappings.tolerances).fillna(0)
    difference = used_units - billed_units
    status = np.select(
        [
            ~checked,
            difference.abs() <= tolerance,
            ~on_contract,
            used_units == 0,
            difference > 0,
        ],
        [
            str(Status.NOT_RECONCILED),
            str(Status.MATCH),
            str(Status.UNBILLED_USAGE),
            str(Status.BILLED_WITHOUT_USAGE),
            str(Status.UNDER_BILLED),
        ],
        default=str(Status.OVER_BILLED),
    )
    return Counter(status.tolist())


def datacompy_reconcile(inputs: Inputs, mappings: Mappings) -> int:
    """Discrepancies found by datacompy's ``PandasCompare`` on the aggregated frames.

    Rows only in usage with a quantity are unbilled usage and rows in both that differ are the
    other discrepancies; rows only in billing were not compared with usage.

    Returns
    -------
    int
        Rows only in usage with a quantity, and mismatched rows.
    """
    import datacompy

    billed, used = aggregated(inputs, mappings)
    billed = billed.rename(columns={"billed": "quantity"})
    used = used.rename(columns={"used": "quantity"})
    compare = datacompy.PandasCompare(billed, used, join_columns=KEYS, df1_name="billed")
    only_used = compare.df2_unq_rows
    return int((only_used["quantity"] > 0).sum()) + len(compare.all_mismatch())


def pyarrow_read_inputs(folder: Path) -> int:
    """Read every input file under ``folder`` raw with Arrow's CSV reader (workbooks with
    calamine); return the rows read."""
    from pyarrow import csv as arrow_csv
    from python_calamine import CalamineWorkbook

    rows = 0
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() == ".csv":
            rows += arrow_csv.read_csv(path).num_rows
        elif path.suffix.lower() == ".xlsx":
            with CalamineWorkbook.from_path(str(path)) as book:
                for name in book.sheet_names:
                    rows += max(len(book.get_sheet_by_name(name).to_python()) - 1, 0)
    return rows


def duckdb_reconcile(inputs: Inputs, mappings: Mappings) -> Counter[str]:
    """Lines per status, as :func:`pandas_reconcile` counts them, from one DuckDB query.

    Returns
    -------
    collections.Counter
        Status value -> number of (client, service) lines.
    """
    import duckdb

    # Only the columns the query reads are handed over: DuckDB scans them where they are.
    usage = inputs.usage[["vendor", "customer_key", "sku", "quantity", "excluded_reason"]]
    contracts = inputs.contract_lines[["company_id", "service_id", "quantity", "excluded_reason"]]
    customers, services = mapping_frames(mappings)
    tolerances = pd.DataFrame(
        list(mappings.tolerances.items()), columns=["service_id", "tolerance"]
    ).astype({"tolerance": "int64"})
    statuses = {name: str(status) for name, status in Status.__members__.items()}
    query = f"""
        with mapped as (
            select c.company_id, s.service_id, s.vendor, u.quantity * s.factor as units
            from usage u
            join customers c on c.vendor = u.vendor and c.customer_key = u.customer_key
            join services s on s.vendor = u.vendor and s.sku = u.sku
            where u.excluded_reason = ''
        ),
        used as (
            select company_id, service_id, ceil(sum(units) - 1e-9)::bigint as used
            from mapped group by all
        ),
        measured as (
            select distinct m.company_id, s.service_id
            from (select distinct company_id, vendor from mapped) m
            join services s on s.vendor = m.vendor
        ),
        billed as (
            select company_id, service_id, sum(quantity) as billed
            from contracts where excluded_reason = '' group by all
        ),
        lines as (
            select coalesce(b.company_id, m.company_id) as company_id,
                   coalesce(b.service_id, m.service_id) as service_id,
                   b.billed, case when m.service_id is null then null
                                  else coalesce(u.used, 0) end as used
            from billed b
            full join measured m using (company_id, service_id)
            left join used u
                on u.company_id = m.company_id and u.service_id = m.service_id
        )
        select case
                 when used is null then '{statuses["NOT_RECONCILED"]}'
                 when abs(used - coalesce(billed, 0)) <= coalesce(t.tolerance, 0)
                   then '{statuses["MATCH"]}'
                 when billed is null then '{statuses["UNBILLED_USAGE"]}'
                 when used = 0 then '{statuses["BILLED_WITHOUT_USAGE"]}'
                 when used > billed then '{statuses["UNDER_BILLED"]}'
                 else '{statuses["OVER_BILLED"]}'
               end as status, count(*) as lines
        from lines left join tolerances t using (service_id)
        where billed is not null or used > 0
        group by all
    """
    with duckdb.connect() as connection:
        for name, frame in (
            ("usage", usage),
            ("contracts", contracts),
            ("customers", customers),
            ("services", services),
            ("tolerances", tolerances),
        ):
            connection.register(name, frame)
        counted = connection.execute(query).fetchall()
    return Counter({str(status): int(lines) for status, lines in counted})


def pandas_read_inputs(folder: Path) -> int:
    """Read every input file under ``folder`` raw with pandas; return the rows read."""
    rows = 0
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() == ".csv":
            rows += len(pd.read_csv(path, dtype=str, keep_default_na=False))
        elif path.suffix.lower() == ".xlsx":
            sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl")
            rows += sum(len(sheet) for sheet in sheets.values())
    return rows
