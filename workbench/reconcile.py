"""Reconcile: what each client is billed against what its vendors say it uses.

One line per client and service (plus one per unmapped vendor customer or SKU), each with exactly
one :class:`~workbench.result.Status`; the result's type and frames are declared in
:mod:`workbench.result`. Money impact is the quantity difference at the contract's unit price and
unit cost, rounded to the cent per line; totals are sums of those lines.

The engine works on encoded keys. Each text column it reads is turned once into integer codes and
its distinct values (:func:`_encoded`); usage rows are summed per vendor, vendor customer and SKU
(a *record*) with array arithmetic, and every decision is taken per record or per (client,
service), never per row. The rows behind a line (its evidence) and behind an exclusion stay row
positions until the result's frames are made, column by column, from codes; the evidence frame
is made when it is first read (:class:`~workbench.result.ReadWhenAsked`).
"""

from __future__ import annotations

import collections
import functools
import math
import operator
from collections import defaultdict
from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench import bundles as bundle_arithmetic
from workbench import text_codes
from workbench.bundles import Bundle, BundleTerms, Component
from workbench.mapping import VENDOR_TITLES, Mappings
from workbench.money import ZERO, to_cents, total
from workbench.result import (
    ADJUSTMENT_STATUSES,
    COVERAGE_COLUMNS,
    COVERAGE_OUTCOMES,
    EVIDENCE_COLUMNS,
    EXCLUDED_COLUMNS,
    LINE_COLUMNS,
    TEXT_LINE_COLUMNS,
    Reconciliation,
    Rows,
    Status,
    encoded_text,
)
from workbench.result import check as check_result
from workbench.sources import DUPLICATE_FILE, Inputs
from workbench.sources.overlap import SAME_RECORD

#: What became of a record or contract line, as codes: the coverage outcome it counts in
#: (``reference`` is said of whole files, never of a row), or ``missing``: nothing did, a defect.
_STATES = ("missing", *(outcome for outcome in COVERAGE_OUTCOMES if outcome != "reference"))
_CODE = {state: code for code, state in enumerate(_STATES)}
_MISSING, _MATCHED, _NOT_RECONCILED = _CODE["missing"], _CODE["matched"], _CODE["not_reconciled"]
_UNMAPPED_CUSTOMER, _UNMAPPED_SKU = _CODE["unmapped_customer"], _CODE["unmapped_sku"]
_EXCLUDED, _SAME = _CODE["excluded"], _CODE["same_record"]


def reconcile(
    inputs: Inputs,
    mappings: Mappings,
    *,
    period: str,
    currency: str = "USD",
    links: pd.DataFrame | None = None,
) -> Reconciliation:
    """Reconcile a period's canonical inputs under the given mappings.

    Usage rows are first summed per vendor, vendor customer and SKU (a *record*); every
    decision is taken per record, and the source rows behind each record are attached to the
    lines and exclusions at the end, column by column. So the cost of a decision does not grow
    with the rows a vendor export repeats per device or per seat.

    ``links`` are the identifiers vendor customers share across vendors
    (:mod:`workbench.customer_links`), for the suggestions of unmapped customers.

    Every line, status, amount and count is worked out here; the evidence frame (a row per
    source row behind a line) is made from the row positions kept, and checked, when it is first
    read. The result then holds the inputs' frames until then.
    """
    usage = _Usage(inputs.usage, mappings)
    billed = _Billed(inputs.contract_lines)
    catalogue = inputs.catalogue
    customers = mappings.match_customers(usage.customers_seen(), catalogue.companies, links)
    records = _Records(usage, customers)
    services = mappings.service_table(present=records.vendor_skus())
    joined = records.joined(services)
    vendors_present = set(records.vendor[np.unique(records.vendor_code)].tolist())

    # Each record: which company, which service(s), or why none.
    excluded = _Exclusions()
    excluded_customer = np.flatnonzero(records.method == "excluded")
    excluded.add(
        excluded_customer,
        "customer excluded in mappings: " + records.note[excluded_customer].astype(object),
        "",
    )
    records.state[excluded_customer] = _EXCLUDED
    ignored = joined.service_exclude_reason != ""
    ignored_records = joined.record[ignored]
    excluded.add(
        ignored_records,
        "SKU excluded in mappings: " + joined.service_exclude_reason[ignored].astype(object),
        records.company_id[ignored_records],
    )
    records.state[ignored_records] = _EXCLUDED

    # Which vendors feed each service, and which vendors know each client.
    feeding_sets: dict[str, set[str]] = defaultdict(set)
    for row in _rows(services[services["exclude_reason"] == ""]):
        feeding_sets[row.service_id].add(row.vendor)
    feeding = {service_id: frozenset(vendors) for service_id, vendors in feeding_sets.items()}
    known_at: dict[str, set[str]] = defaultdict(set)
    # Distinct (company, vendor) pairs, found by hashing the columns, not a tuple per customer.
    known = customers.loc[customers["company_id"] != "", ["company_id", "vendor"]]
    known = known.drop_duplicates()
    for company_id, vendor in zip(
        known["company_id"].tolist(), known["vendor"].tolist(), strict=True
    ):
        known_at[company_id].add(vendor)
    company_names = dict(
        zip(
            catalogue.companies["company_id"].tolist(),
            catalogue.companies["company_name"].tolist(),
            strict=True,
        )
    )
    list_prices = dict(
        zip(
            catalogue.services["service_id"],
            zip(catalogue.services["unit_price"], catalogue.services["unit_cost"], strict=True),
            strict=True,
        )
    )
    line_states: dict[tuple[str, str], str] = {}  # contract lines: matched / not reconciled

    context = _Context(known_at, vendors_present, company_names, services, list_prices)
    bundled = _reconcile_bundles(
        mappings, records.for_bundles(mappings, ignored_records), billed, context
    )
    records.state[np.fromiter(bundled.records, dtype=np.int64, count=len(bundled.records))] = (
        _MATCHED
    )
    line_states.update(bundled.line_states)
    sku_missing = joined.sku_missing
    if bundled.covered:
        # Licences a bundle covers are no unmapped SKU: the bundle accounts for them.
        in_bundle = np.fromiter(
            (
                key in bundled.covered
                for key in zip(
                    records.company_id[sku_missing].tolist(),
                    records.vendor[records.vendor_code[sku_missing]].tolist(),
                    records.sku[records.sku_code[sku_missing]].tolist(),
                    strict=True,
                )
            ),
            dtype=bool,
            count=len(sku_missing),
        )
        sku_missing = sku_missing[~in_bundle]
    # A zero count of a metric nobody sells is no finding (a Huntress org without SAT learners).
    sku_groups = records.company_code[sku_missing] * records.pairs + records.pair[sku_missing]
    sku_zero = records.nothing_to_show(sku_missing, sku_groups)
    excluded.add(
        sku_missing[sku_zero],
        "zero count of a SKU no service is mapped to",
        records.company_id[sku_missing[sku_zero]],
    )
    records.state[sku_missing[sku_zero]] = _EXCLUDED
    sku_missing = sku_missing[~sku_zero]

    lines: list[dict[str, Any] | tuple[Any, ...]] = list(bundled.lines)

    # Expected quantity per client and service: whole units per factor, one exact product per
    # (client, service, factor).
    used = ~ignored
    used_records = joined.record[used]
    used_service = joined.service[used]
    records.state[used_records] = _MATCHED
    service_codes, service_ids = pd.factorize(services["service_id"].to_numpy(dtype=object))
    factor_codes, factors = pd.factorize(services["factor"].to_numpy(dtype=object))
    line_code, line_keys = _factorize_ints(
        records.company_code[used_records] * max(len(service_ids), 1) + service_codes[used_service]
    )
    units_code, units_firsts = _factorize_ints(
        line_code * max(len(factors), 1) + factor_codes[used_service]
    )
    units = np.zeros(len(units_firsts), dtype=np.int64)
    np.add.at(units, units_code, records.quantity[used_records])
    # Whole units stay integers: a Fraction only where a factor has a denominator.
    expected: dict[tuple[str, str], int | Fraction] = defaultdict(int)
    in_bundles: dict[tuple[str, str], int] = defaultdict(int)
    used_keys = [
        (company_id, service_id)
        for company_id, service_id in zip(
            records.company_id[used_records[line_keys]].tolist(),
            service_ids[service_codes[used_service[line_keys]]].tolist(),
            strict=True,
        )
    ]
    for key, factor, count in zip(
        [used_keys[code] for code in line_code[units_firsts].tolist()],
        factors[factor_codes[used_service[units_firsts]]].tolist(),
        units.tolist(),
        strict=True,
    ):
        if factor.denominator == 1:
            expected[key] += count * factor.numerator
        else:
            expected[key] += Fraction(count * factor.numerator, factor.denominator)

    for (bundle_client, bundle_vendor, bundle_sku), consumed in bundled.consumed.items():
        # Licences a bundle covers do not feed their stand-alone services as well.
        for service_id, factor in context.feeds.get((bundle_vendor, bundle_sku), []):
            expected[(bundle_client, service_id)] -= consumed * factor
            in_bundles[(bundle_client, service_id)] += consumed

    service_names = dict(
        zip(catalogue.services["service_id"], catalogue.services["service_name"], strict=True)
    )
    tolerances = mappings.tolerances
    for key in sorted((set(billed.lines) | set(expected)) - bundled.keys):
        company_id, service_id = key
        contract_line = billed.lines.get(key)
        if contract_line is None:
            if math.ceil(expected.get(key, 0)) <= 0:
                continue  # neither billed nor used: checked, nothing to show
            billed_quantity, contract_id, contract_name, contract_service_id = 0, "", "", ""
            unit_price, unit_cost = context.list_price(service_id)
        else:
            (
                billed_quantity,
                contract_id,
                contract_name,
                contract_service_id,
                unit_price,
                unit_cost,
            ) = contract_line
        tolerance = tolerances.get(service_id, 0)
        sources = feeding.get(service_id, _NO_VENDORS)
        checked_by = context.checked_in_order(company_id, sources)
        expected_quantity: int | None = None
        if not sources:
            status, reason = Status.NOT_RECONCILED, "no usage source is mapped to this service"
        elif not checked_by:
            names = ", ".join(VENDOR_TITLES.get(v, v) for v in sorted(sources))
            status = Status.NOT_RECONCILED
            reason = f"this client has no mapped customer in {names} (or no export this period)"
        else:
            expected_quantity = math.ceil(max(expected.get(key, 0), 0))
            status, reason = billed.verdict(
                key, billed_quantity, expected_quantity, tolerance, checked_by
            )
            if in_bundles.get(key):
                reason += f" ({in_bundles[key]} more are covered by the client's bundle)"
            if key in bundled.also_drive:
                reason += _also_drive(bundled.also_drive[key])
        difference, revenue_impact, cost_impact = _impacts(
            status, billed_quantity, expected_quantity, unit_price, unit_cost
        )
        # The line's cells in LINE_COLUMNS order: thousands of lines, each no dictionary.
        lines.append(
            (
                _line_id(company_id, service_id),
                status,
                company_id,
                company_names.get(company_id, company_id),
                service_id,
                service_names.get(service_id, service_id),
                contract_id,
                contract_name,
                contract_service_id,
                "",  # vendor
                "",  # vendor customer key
                "",  # vendor customer name
                "",  # vendor SKU
                "",  # vendor SKU name
                billed_quantity,
                expected_quantity,
                difference,
                tolerance,
                unit_price,
                unit_cost,
                revenue_impact,
                cost_impact,
                None,  # vendor spend
                reason,
            )
        )
        if contract_line is not None:
            line_states[key] = "not_reconciled" if status == Status.NOT_RECONCILED else "matched"

    evidence = _EvidenceEntries()
    for line_id, record, factor in bundled.used:
        evidence.add(line_id, np.array([record]), factor)
    evidence.add_keyed(
        [_line_id(*key) for key in used_keys],
        line_code,
        used_records,
        [str(factor) for factor in factors],
        factor_codes[used_service],
    )

    unmapped_customer = np.flatnonzero(records.method == "unmapped")
    customer_zero = records.nothing_to_show(unmapped_customer, unmapped_customer)
    excluded.add(
        unmapped_customer[customer_zero], "zero count from a vendor customer nobody mapped", ""
    )
    records.state[unmapped_customer[customer_zero]] = _EXCLUDED
    unmapped_customer = unmapped_customer[~customer_zero]
    spend = dict(zip(unmapped_customer.tolist(), records.spend(unmapped_customer), strict=True))
    # One record per vendor customer and SKU: each is its own line, in key order.
    for record in sorted(unmapped_customer.tolist(), key=records.key_text):
        found = records.describe(record)
        line_id = f"unmapped:{found['vendor']}:{found['customer_key']}:{found['sku']}"
        lines.append(
            _unmapped_line(
                line_id,
                Status.UNMAPPED_CUSTOMER,
                found,
                int(records.quantity[record]),
                spend[record],
                f"{_vendor_title(found['vendor'])} customer is not mapped to a PSA company",
            )
        )
        evidence.add(line_id, np.array([record]), "")
    records.state[unmapped_customer] = _UNMAPPED_CUSTOMER

    # SKUs nobody mapped: one line per client, vendor and SKU, over its vendor customers.
    spend = dict(zip(sku_missing.tolist(), records.spend(sku_missing), strict=True))
    unmapped_skus: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for record in sku_missing.tolist():
        vendor, _, sku = records.key_text(record)
        unmapped_skus[(str(records.company_id[record]), vendor, sku)].append(record)
    for (company_id, vendor, sku), members in sorted(unmapped_skus.items()):
        line_id = f"unmapped-sku:{company_id}:{vendor}:{sku}"
        amounts = [amount for amount in (spend[m] for m in members) if amount is not None]
        line = _unmapped_line(
            line_id,
            Status.UNMAPPED_SKU,
            records.describe(members[0]),
            int(records.quantity[members].sum()),
            total(amounts) if amounts else None,
            f"{_vendor_title(vendor)} SKU is not mapped to a PSA service",
        )
        line.update(company_id=company_id, company_name=company_names.get(company_id, company_id))
        lines.append(line)
        evidence.add(line_id, np.asarray(members, dtype=np.int64), "")
    records.state[sku_missing] = _UNMAPPED_SKU

    line_frame = _line_frame(lines)
    clients = (
        line_frame.loc[line_frame["company_id"] != "", ["company_id", "company_name"]]
        .drop_duplicates("company_id")
        .sort_values("company_name", key=lambda names: names.str.casefold())
        .reset_index(drop=True)
    )
    return check_result(
        Reconciliation(
            period=period,
            currency=currency,
            lines=line_frame,
            # A row per source row (two million at 2,000 clients), kept as row positions until
            # a face reads it: the review and the dashboard's first page never do.
            evidence=functools.partial(evidence.frame, line_frame, billed, usage),
            coverage=_coverage(inputs, usage, records, billed, line_states),
            excluded=excluded.frame(usage, billed, customers),
            clients=clients,
            customer_matches=customers,
            files=inputs.files,
            mapping_warnings=mappings.warnings,
        )
    )


# -- encoded rows ------------------------------------------------------------------------------


def _encoded(column: pd.Series | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A text column as codes (0..n-1, in order of first appearance) and its n distinct values.

    Exports list one file's, one customer's or one site's rows together, so a column's values
    come in runs: each run is hashed once (Arrow's run-end encoding), not each row, and the
    column's Arrow chunks are read where they are.
    """
    lengths, run_codes, values = _encoded_runs(column)
    return np.repeat(run_codes, lengths), values


def _encoded_runs(column: pd.Series | pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A text column as runs of one value (:func:`_encoded`): each run's length and code, and
    the distinct values."""
    values = _arrow_text(column) if isinstance(column, pd.Series) else column
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    runs = [pc.run_end_encode(chunk) for chunk in chunks if len(chunk)]
    if not runs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), np.empty(0, dtype=object)
    distinct = pc.dictionary_encode(pa.concat_arrays([run.values for run in runs]))
    lengths = np.concatenate([np.diff(run.run_ends.to_numpy(), prepend=0) for run in runs])
    return (
        lengths,
        distinct.indices.to_numpy(zero_copy_only=False),
        distinct.dictionary.to_numpy(zero_copy_only=False),
    )


def _arrow_text(column: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text column as Arrow holds it (its chunks as they are, when it is Arrow-backed)."""
    return pa.array(column, type=pa.large_string(), from_pandas=True)


def _text_rows(column: pd.Series, positions: np.ndarray) -> pa.Array:
    """A text column's rows at ``positions``, taken chunk by chunk: Arrow's take of a chunked
    column joins all its chunks first, a copy of the whole column for a few rows."""
    values = _arrow_text(column)
    if not isinstance(values, pa.ChunkedArray):
        return values.take(pa.array(positions, type=pa.int64()))
    sizes = np.asarray([len(chunk) for chunk in values.chunks], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    chunk_of = np.searchsorted(starts + sizes, positions, side="right")
    order = np.argsort(chunk_of, kind="stable")
    pieces = [
        values.chunk(chunk).take(pa.array(positions[taken] - starts[chunk]))
        for chunk, taken in zip(*_groups(chunk_of[order], order), strict=True)
    ]
    grouped = pa.concat_arrays(pieces) if pieces else pa.array([], type=pa.large_string())
    back = np.empty(len(order), dtype=np.int64)
    back[order] = np.arange(len(order))
    return grouped.take(pa.array(back))


def _groups(keys: np.ndarray, items: np.ndarray) -> tuple[list[int], list[np.ndarray]]:
    """Of ``items`` in order of their sorted ``keys``: each key and its items."""
    if not len(keys):
        return [], []
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return keys[starts].tolist(), np.split(items, starts[1:])


def _wide(encoded: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Codes widened for key arithmetic (codes times a count of distinct values)."""
    codes, values = encoded
    return codes.astype(np.int64), values


def _factorize_ints(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes 0..n-1 in order of first appearance, and each code's first position.

    Keys of rows that come in runs (one customer's devices, one site's licences) are hashed
    once per run.
    """
    if not len(codes):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
    run_codes = np.asarray(pd.factorize(codes[starts])[0], dtype=np.int64)
    firsts = np.empty(int(run_codes.max()) + 1, dtype=np.int64)
    # The first position of each code: write run starts in reverse so the earliest wins.
    firsts[run_codes[::-1]] = starts[::-1]
    return np.repeat(run_codes, np.diff(np.append(starts, len(codes)))), firsts


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions ``starts[i] .. starts[i] + sizes[i] - 1`` one range after the other, and
    for each position the index ``i`` of its range."""
    ranges = np.flatnonzero(sizes)
    return _range_positions(starts[ranges], sizes[ranges]), np.repeat(ranges, sizes[ranges])


def _range_positions(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions of non-empty ranges, one after the other: steps of one, and at each
    range's first position the jump from the previous range, summed in place."""
    positions = np.ones(int(sizes.sum()), dtype=np.int64)
    if len(sizes):
        firsts = np.cumsum(sizes) - sizes
        positions[0] = starts[0]
        positions[firsts[1:]] = starts[1:] - starts[:-1] - sizes[:-1] + 1
        np.cumsum(positions, out=positions)
    return positions


class _EncodedRows:
    """A canonical frame whose text columns are encoded when first asked for."""

    #: The columns evidence and exclusions show as the row's system, customer and item.
    SHOWN: ClassVar[dict[str, str]] = {}

    def __init__(self, rows: pd.DataFrame) -> None:
        self.rows = rows
        self._texts: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def text(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """``column`` as codes and distinct values: as the period store read them
        (:mod:`workbench.text_codes`), else encoded here (:func:`_encoded`), once."""
        if column not in self._texts:
            known = text_codes.known(self.rows[column])
            self._texts[column] = known if known is not None else _encoded(self.rows[column])
        return self._texts[column]

    def is_encoded(self, column: str) -> bool:
        """Whether ``column``'s codes are at hand without a pass over its rows."""
        return column in self._texts or text_codes.known(self.rows[column]) is not None

    def text_runs(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``column`` as runs of one value (:func:`_encoded_runs`): from its codes when they
        are at hand, else from the column."""
        if not self.is_encoded(column):
            return _encoded_runs(self.rows[column])
        codes, values = self.text(column)
        if not len(codes):
            return np.zeros(0, dtype=np.int64), codes, values
        starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
        return np.diff(np.append(starts, len(codes))), codes[starts], values

    def text_at(self, column: str, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``column`` at row ``positions``, as codes and distinct values: from the whole
        column's codes when they are at hand or most rows are asked for, else from those
        rows alone (a few unmapped records must not cost a pass over millions of rows)."""
        if self.is_encoded(column) or len(positions) * 8 > len(self.rows):
            codes, values = self.text(column)
            return np.take(codes, positions), values
        return _encoded(_text_rows(self.rows[column], positions))

    def shown(self, column: str, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A provenance column of evidence and exclusions at row ``positions``, as codes and
        distinct values (:meth:`text_at`)."""
        return self.text_at(self.SHOWN.get(column, column), positions)


class _Usage(_EncodedRows):
    """The period's usage rows, encoded, and the records they sum to.

    A *record* is the counted rows of one vendor, vendor customer and SKU (aliases applied),
    numbered in order of first appearance; its quantity is their sum. A record's rows come in
    runs (one site's devices, one tenant's licences): each run is keyed and summed once, and a
    record's rows are its runs one after the other.
    """

    SHOWN: ClassVar[dict[str, str]] = {
        "system": "vendor",
        "customer": "customer_name",
        "item": "sku_name",
    }

    def __init__(self, rows: pd.DataFrame, mappings: Mappings) -> None:
        super().__init__(rows)
        reason_code, reasons = self.text("excluded_reason")
        counts = reasons == ""
        self.counted = counts[reason_code] if not counts.all() else np.ones(len(rows), dtype=bool)
        self.uncounted = np.flatnonzero(~self.counted)
        # Counted rows, by their place among counted rows: every row in most months.
        self._counted = np.flatnonzero(self.counted) if len(self.uncounted) else None
        vendor_code, self.vendors = self.text("vendor")
        customer_code, self.customer_keys = self.text("customer_key")
        self.sku_code, self.skus = _canonical_skus(
            vendor_code, self.vendors, *self.text("sku"), mappings
        )
        # Runs of one vendor, customer and SKU: where any of the three changes. Keys are
        # worked out per run, not per row.
        counted_codes = [self._of_counted(codes) for codes in (vendor_code, customer_code)]
        counted_codes.append(self._of_counted(self.sku_code))
        rows_counted = len(counted_codes[0])
        change = np.zeros(rows_counted, dtype=bool)
        if rows_counted:
            change[0] = True
            for codes in counted_codes:
                change[1:] |= codes[1:] != codes[:-1]
        starts = np.flatnonzero(change)
        del change
        lengths = np.diff(np.append(starts, rows_counted))
        key = counted_codes[0][starts].astype(np.int64)
        key *= len(self.customer_keys)
        key += counted_codes[1][starts]
        key *= len(self.skus)
        key += counted_codes[2][starts]
        run_record = np.asarray(pd.factorize(key)[0], dtype=np.int64)
        del key, counted_codes
        count = int(run_record.max()) + 1 if len(run_record) else 0
        first_run = np.empty(count, dtype=np.int64)
        first_run[run_record[::-1]] = np.arange(len(run_record))[::-1]
        self.first_row = self._row_of(starts[first_run])
        quantity = self._of_counted(rows["quantity"].to_numpy(dtype=np.int64))
        self.quantity = np.zeros(count, dtype=np.int64)
        if len(starts):
            np.add.at(self.quantity, run_record, np.add.reduceat(quantity, starts))
        self.record_sizes = np.zeros(count, dtype=np.int64)
        np.add.at(self.record_sizes, run_record, lengths)
        self.record_starts = np.cumsum(self.record_sizes) - self.record_sizes
        # Runs (start among counted rows, length) and the record of each.
        self._runs = (starts, lengths, run_record)

        # Vendor customers as the reconciliation meets them: those of the records first, then
        # those only in rows an importer left out; each named as its first row names it.
        met = np.concatenate([self.first_row, self.uncounted])
        customer, firsts = _factorize_ints(
            vendor_code[met].astype(np.int64) * len(self.customer_keys) + customer_code[met]
        )
        self.customer_of_record = customer[: len(self.first_row)]
        self.customer_of_uncounted = customer[len(self.first_row) :]
        self._customer_rows = met[firsts]

    def customers_seen(self) -> pd.DataFrame:
        """Distinct ``vendor, customer_key, customer_name``, for the customer matching."""
        rows = self._customer_rows
        vendor_code, _ = self.text("vendor")
        customer_code, _ = self.text("customer_key")
        name_code, names = self.text_at("customer_name", rows)
        # Python strings as they are: the matching reads them one by one.
        return pd.DataFrame(
            {
                "vendor": self.vendors[vendor_code[rows]],
                "customer_key": self.customer_keys[customer_code[rows]],
                "customer_name": names[name_code],
            },
            dtype=object,
        )

    def _of_counted(self, values: np.ndarray) -> np.ndarray:
        """Per-row ``values`` of the counted rows."""
        return values if self._counted is None else values[self._counted]

    def _row_of(self, places: np.ndarray) -> np.ndarray:
        """Row positions of places among the counted rows."""
        return places if self._counted is None else self._counted[places]

    @functools.cached_property
    def _record_rows(self) -> np.ndarray:
        """Row positions of every record, record after record, each record's rows in order."""
        starts, lengths, run_record = self._runs
        by_record = np.argsort(run_record, kind="stable")
        return self._row_of(_range_positions(starts[by_record], lengths[by_record]))

    def rows_in_order(self, records: np.ndarray) -> np.ndarray:
        """Row positions of the given records, each record's rows in row order."""
        sizes = self.record_sizes[records]
        ranges = np.flatnonzero(sizes)
        positions = _range_positions(self.record_starts[records[ranges]], sizes[ranges])
        return np.take(self._record_rows, positions)

    def rows_of(self, records: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row positions of the given records, each record's rows in row order, and for each
        row the index of its record in ``records``."""
        if len(records) * 8 > len(self.quantity) or len(np.unique(records)) < len(records):
            positions, owner = _ranges(self.record_starts[records], self.record_sizes[records])
            return self._record_rows[positions], owner
        # A few records (unmapped, left out): their runs, not every record's rows put in order.
        starts, lengths, run_record = self._runs
        place = np.full(len(self.quantity), -1, dtype=np.int64)
        place[records] = np.arange(len(records))
        owner = place[run_record]
        runs = np.flatnonzero(owner >= 0)
        runs = runs[np.argsort(owner[runs], kind="stable")]
        positions = self._row_of(_range_positions(starts[runs], lengths[runs]))
        return positions, np.repeat(owner[runs], lengths[runs])

    def row_states(self, record_states: np.ndarray) -> np.ndarray:
        """Per row, the state of its record (:data:`_STATES`), or of a row left out."""
        _, lengths, run_record = self._runs
        counted = np.repeat(record_states[run_record], lengths)
        if self._counted is None:
            return counted
        states = _left_out_states(self)
        states[self._counted] = counted
        return states


def _canonical_skus(
    vendor_code: np.ndarray,
    vendors: np.ndarray,
    sku_code: np.ndarray,
    skus: np.ndarray,
    mappings: Mappings,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's SKU replaced by the SKU it is an alias of (decided once per vendor and SKU)."""
    if not mappings.aliases:
        return sku_code, skus
    pair, firsts = _factorize_ints(vendor_code.astype(np.int64) * max(len(skus), 1) + sku_code)
    canonical = [
        mappings.canonical_sku(str(vendors[vendor_code[first]]), str(skus[sku_code[first]]))
        for first in firsts.tolist()
    ]
    codes, distinct = pd.factorize(np.asarray(canonical, dtype=object))
    return np.asarray(codes, dtype=np.int64)[pair], np.asarray(distinct, dtype=object)


class _Records:
    """The usage records and what the customer matching said about each: arrays by record.

    ``state`` is what became of each record (a :data:`_STATES` code), set as it is decided.
    """

    def __init__(self, usage: _Usage, customers: pd.DataFrame) -> None:
        self.usage = usage
        customer = usage.customer_of_record
        company_ids = customers["company_id"].to_numpy(dtype=object)
        company_codes, _ = pd.factorize(company_ids)
        self.company_id = company_ids[customer]
        self.company_code = np.asarray(company_codes, dtype=np.int64)[customer]
        self.method = customers["method"].to_numpy(dtype=object)[customer]
        self.note = customers["note"].to_numpy(dtype=object)[customer]
        self.vendor, self.sku = usage.vendors, usage.skus
        self.vendor_code = usage.text("vendor")[0][usage.first_row].astype(np.int64)
        self.sku_code = usage.sku_code[usage.first_row]
        self.pair = self.vendor_code * len(self.sku) + self.sku_code  # (vendor, SKU)
        self.pairs = len(self.vendor) * len(self.sku)
        self.quantity = usage.quantity
        self.state = np.full(len(self.quantity), _MISSING, dtype=np.int8)

    def vendor_skus(self) -> set[tuple[str, str]]:
        pairs = np.unique(self.pair)
        return {
            (str(self.vendor[pair // len(self.sku)]), str(self.sku[pair % len(self.sku)]))
            for pair in pairs.tolist()
        }

    def key_text(self, record: int) -> tuple[str, str, str]:
        """The record's vendor, vendor customer key and SKU."""
        first = int(self.usage.first_row[record])
        customer_code, _ = self.usage.text("customer_key")
        return (
            str(self.vendor[self.vendor_code[record]]),
            str(self.usage.customer_keys[customer_code[first]]),
            str(self.sku[self.sku_code[record]]),
        )

    def describe(self, record: int) -> dict[str, str]:
        """The record's keys and the names its first row gives them."""
        first = int(self.usage.first_row[record])
        vendor, customer_key, sku = self.key_text(record)
        return {
            "vendor": vendor,
            "customer_key": customer_key,
            "customer_name": str(self.usage.rows["customer_name"].iloc[first]),
            "sku": sku,
            "sku_name": str(self.usage.rows["sku_name"].iloc[first]),
        }

    def spend(self, records: np.ndarray) -> list[Decimal | None]:
        """Per record, the vendor charges of its rows summed; None when no row has one."""
        sums: list[Decimal | None] = [None] * len(records)
        rows, owner = self.usage.rows_of(records)
        amounts = self.usage.rows["amount"].to_numpy(dtype=object)[rows]
        present = np.flatnonzero(pd.notna(amounts))
        for index, amount in zip(owner[present].tolist(), amounts[present].tolist(), strict=True):
            current = sums[index]
            sums[index] = amount if current is None else current + amount
        return sums

    def nothing_to_show(self, records: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Of ``records``, those whose group (same code in ``groups``) counts zero and costs
        nothing: no finding to show."""
        codes, firsts = _factorize_ints(groups)
        quantity = np.zeros(len(firsts), dtype=np.int64)
        np.add.at(quantity, codes, self.quantity[records])
        zero = quantity[codes] == 0
        spend = [ZERO] * len(firsts)
        candidates = np.flatnonzero(zero)
        for code, amount in zip(
            codes[candidates].tolist(), self.spend(records[candidates]), strict=True
        ):
            if amount is not None:
                spend[code] += amount
        free = np.asarray([amount == ZERO for amount in spend], dtype=bool)
        nothing: np.ndarray = zero & free[codes] if len(codes) else zero
        return nothing

    def joined(self, services: pd.DataFrame) -> _Joined:
        """Records of mapped customers against the service rows of their vendor and SKU."""
        service_pair = np.asarray(
            [
                self.pair_of(vendor, sku)
                for vendor, sku in zip(services["vendor"], services["sku"], strict=True)
            ],
            dtype=np.int64,
        )
        known = np.flatnonzero(service_pair >= 0)
        per_pair = np.bincount(service_pair[known], minlength=self.pairs)
        by_pair = known[np.argsort(service_pair[known], kind="stable")]
        mapped = np.flatnonzero(self.company_id != "")
        sizes = per_pair[self.pair[mapped]]
        positions, owner = _ranges((np.cumsum(per_pair) - per_pair)[self.pair[mapped]], sizes)
        service = by_pair[positions]
        return _Joined(
            record=mapped[owner],
            service=service,
            service_exclude_reason=services["exclude_reason"].to_numpy(dtype=object)[service],
            sku_missing=mapped[sizes == 0],
        )

    def for_bundles(self, mappings: Mappings, ignored: np.ndarray) -> pd.DataFrame:
        """Records of mapped customers, ignore rules applied, whose SKU a bundle counts or
        includes: ``record, company_id, vendor, sku, quantity``."""
        counted = {pair for bundle in mappings.bundles.values() for pair in bundle.skus()}
        keep = (self.company_id != "") & np.isin(
            self.pair, [self.pair_of(vendor, sku) for vendor, sku in counted]
        )
        keep[ignored] = False
        records = np.flatnonzero(keep)
        return pd.DataFrame(
            {
                "record": records,
                "company_id": self.company_id[records],
                "vendor": self.vendor[self.vendor_code[records]],
                "sku": self.sku[self.sku_code[records]],
                "quantity": self.quantity[records],
            }
        )

    def pair_of(self, vendor: str, sku: str) -> int:
        """The (vendor, SKU) code, -1 when no record has that vendor and SKU."""
        vendor_code = self._vendor_index.get(vendor)
        sku_code = self._sku_index.get(sku)
        if vendor_code is None or sku_code is None:
            return -1
        return vendor_code * len(self.sku) + sku_code

    @functools.cached_property
    def _vendor_index(self) -> dict[str, int]:
        return {str(vendor): code for code, vendor in enumerate(self.vendor.tolist())}

    @functools.cached_property
    def _sku_index(self) -> dict[str, int]:
        return {str(sku): code for code, sku in enumerate(self.sku.tolist())}


@dataclass(frozen=True)
class _Joined:
    """Mapped records against service rows: one entry per (record, service row), in record
    order, and the mapped records no service row names."""

    record: np.ndarray
    service: np.ndarray  # row of the service table
    service_exclude_reason: np.ndarray
    sku_missing: np.ndarray


class _Billed(_EncodedRows):
    """Contract lines summed per (company, service): quantity, and the contract fields and
    price of the largest-quantity row (the first of equals).

    A service is *on the contract* when at least one of its contract lines was read and not
    excluded, whatever its units: a line carried at 0 units is on the contract, one left out
    (outside the period, DoNotBill, an inactive contract) is not.
    """

    SHOWN: ClassVar[dict[str, str]] = {
        "system": "psa",
        "customer": "company_name",
        "item": "service_name",
    }

    def __init__(self, contract: pd.DataFrame) -> None:
        super().__init__(contract)
        reason_code, reasons = self.text("excluded_reason")
        is_kept = np.asarray(reasons == "", dtype=bool)[reason_code]
        company_code, companies = _wide(self.text("company_id"))
        service_code, services = _wide(self.text("service_id"))
        key = company_code * max(len(services), 1) + service_code
        self.kept = np.flatnonzero(is_kept)
        self.group, firsts = _factorize_ints(key[self.kept])
        quantity = contract["quantity"].to_numpy(dtype=np.int64)[self.kept]
        sums = np.zeros(len(firsts), dtype=np.int64)
        np.add.at(sums, self.group, quantity)
        # Each service's main line: its largest, the first in the file of equals (the earliest
        # written last, writing in reverse).
        largest = np.full(len(firsts), np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(largest, self.group, quantity)
        tops = np.flatnonzero(quantity == largest[self.group])
        main_of = np.empty(len(firsts), dtype=np.int64)
        main_of[self.group[tops[::-1]]] = tops[::-1]
        main = self.kept[main_of]
        self.keys: list[tuple[str, str]] = list(
            zip(
                companies[company_code[main]].tolist(),
                services[service_code[main]].tolist(),
                strict=True,
            )
        )

        def take(column: str) -> list[Any]:
            values = contract[column]
            if values.dtype == object:  # money: Decimal objects
                return list(values.to_numpy()[main].tolist())
            return list(_text_rows(values, main).to_pylist())

        self.lines: dict[tuple[str, str], tuple[Any, ...]] = {
            key: tuple(fields)
            for key, *fields in zip(
                self.keys,
                sums.tolist(),
                take("contract_id"),
                take("contract_name"),
                take("contract_service_id"),
                take("unit_price"),
                take("unit_cost"),
                strict=True,
            )
        }
        # A left-out line still shows in the PSA: its reason (the first, per service) is given
        # when the service's usage is reported as not on the contract.
        left_out = np.flatnonzero(~is_kept)
        _, firsts = _factorize_ints(key[left_out])
        first = left_out[firsts]
        self.left_out: dict[tuple[str, str], str] = dict(
            zip(
                zip(
                    companies[company_code[first]].tolist(),
                    services[service_code[first]].tolist(),
                    strict=True,
                ),
                reasons[reason_code[first]].tolist(),
                strict=True,
            )
        )

    def fill(self, line: dict[str, Any], key: tuple[str, str]) -> int:
        """Set the line's contract fields; returns the billed quantity."""
        quantity, contract_id, contract_name, contract_service_id, price, cost = self.lines[key]
        line.update(
            contract_id=contract_id,
            contract_name=contract_name,
            contract_service_id=contract_service_id,
            unit_price=price,
            unit_cost=cost,
        )
        return int(quantity)

    def verdict(
        self,
        key: tuple[str, str],
        billed: int,
        expected: int,
        tolerance: int,
        vendors: Sequence[str],
    ) -> tuple[Status, str]:
        """:func:`_verdict` of a checked line, told whether its service is on the contract."""
        status, reason = _verdict(billed, expected, tolerance, vendors, key in self.lines)
        if status == Status.UNBILLED_USAGE and key in self.left_out:
            reason += f" (its contract line is left out: {self.left_out[key]})"
        return status, reason

    def amounts(self) -> np.ndarray:
        """Per kept contract line, quantity times price to the cent."""
        prices = self.rows["unit_price"].to_numpy(dtype=object)[self.kept]
        quantities = self.rows["quantity"].to_numpy(dtype=np.int64)[self.kept]
        # Contract lines repeat a few (quantity, price) pairs: each amount is rounded once.
        pairs: dict[tuple[int, Decimal], int] = {}
        codes = np.fromiter(
            (
                pairs.setdefault(pair, len(pairs))
                for pair in zip(quantities.tolist(), prices.tolist(), strict=True)
            ),
            dtype=np.int64,
            count=len(prices),
        )
        amounts = np.empty(len(pairs), dtype=object)
        amounts[:] = [to_cents(quantity * price) for quantity, price in pairs]
        taken: np.ndarray = amounts[codes]
        return taken


# -- the result's row frames, made from codes ---------------------------------------------------


def _decoded(codes: np.ndarray, values: np.ndarray) -> Any:
    """A text column (the pandas ``str`` dtype) holding ``values[codes]``."""
    text = pd.Series([], dtype="str").dtype
    if getattr(text, "storage", None) == "pyarrow":
        # One copy of the strings, made by Arrow from the few distinct values.
        taken = pa.array(values, type=pa.large_string()).take(pa.array(codes))
        return pd.array(taken, dtype=text)
    return pd.array(values[codes], dtype=text)


def _text_column(
    parts: Sequence[tuple[np.ndarray, np.ndarray, Rows]], size: int, *, encoded: bool
) -> Any:
    """A text column of ``size`` rows from parts ``(codes, values, rows)``: each part's rows
    hold ``values[codes]`` and go to ``rows``. Dictionary-encoded when ``encoded``
    (:func:`~workbench.result.encoded_text`), else plain text."""
    if encoded:
        return encoded_text(parts, size)
    codes = np.empty(size, dtype=np.int64)
    held = [np.empty(0, dtype=object)]
    start = 0
    for part_codes, values, rows in parts:
        # Only the values the part's rows hold: a few excluded rows need not carry every
        # customer name of the month.
        part_codes = np.asarray(part_codes, dtype=np.int64)
        used = np.flatnonzero(np.bincount(part_codes, minlength=len(values)))
        place = np.zeros(len(values), dtype=np.int64)
        place[used] = np.arange(len(used))
        codes[rows] = place[part_codes] + start
        held.append(np.asarray(values, dtype=object)[used])
        start += len(used)
    return _decoded(codes, np.concatenate(held))


def _provenance(
    parts: Sequence[tuple[_EncodedRows, np.ndarray, Rows]], size: int, *, encoded: bool
) -> dict[str, Any]:
    """Where each row came from and what it says: the shared columns of evidence and
    exclusions. Each part is rows of a frame (at ``positions``) and where they go."""
    columns: dict[str, Any] = {}
    for column in ("source_file", "source_sheet", "source_row", "system", "customer", "item"):
        if column == "source_row":
            columns[column] = _number_column(parts, column, size)
            continue
        columns[column] = _text_column(
            [
                (codes, values, rows)
                for frame, positions, rows in parts
                for codes, values in [frame.shown(column, positions)]
            ],
            size,
            encoded=encoded,
        )
    columns["quantity"] = _number_column(parts, "quantity", size)
    return columns


def _number_column(
    parts: Sequence[tuple[_EncodedRows, np.ndarray, Rows]], column: str, size: int
) -> np.ndarray:
    values = np.empty(size, dtype=np.int64)
    for frame, positions, rows in parts:
        values[rows] = np.take(frame.rows[column].to_numpy(dtype=np.int64), positions)
    return values


class _EvidenceEntries:
    """The usage records behind each line, as (line id, records, factor) entries in the order
    they were found; turned into one evidence row per source row by :meth:`frame`."""

    def __init__(self) -> None:
        self.line_ids: list[str] = []
        self.factors: list[str] = []
        self.lines: list[np.ndarray] = []  # per chunk: index into line_ids, per entry
        self.records: list[np.ndarray] = []
        self.factor_codes: list[np.ndarray] = []  # index into factors, per entry

    def add(self, line_id: str, records: np.ndarray, factor: str) -> None:
        """Entries of one line, all with one factor."""
        self.add_keyed([line_id], np.zeros(len(records), dtype=np.int64), records, [factor])

    def add_keyed(
        self,
        line_ids: list[str],
        lines: np.ndarray,
        records: np.ndarray,
        factors: list[str],
        factor_codes: np.ndarray | None = None,
    ) -> None:
        """Entries whose lines (and factors) are codes into ``line_ids`` (and ``factors``)."""
        if factor_codes is None:
            factor_codes = np.zeros(len(records), dtype=np.int64)
        self.lines.append(np.asarray(lines, dtype=np.int64) + len(self.line_ids))
        self.records.append(np.asarray(records, dtype=np.int64))
        self.factor_codes.append(np.asarray(factor_codes, dtype=np.int64) + len(self.factors))
        self.line_ids.extend(line_ids)
        self.factors.extend(factors)

    def frame(self, lines: pd.DataFrame, billed: _Billed, usage: _Usage) -> pd.DataFrame:
        """Evidence of the lines shown, line by line in line order, billed rows before used
        ones (each side in the order its rows were found)."""
        line_ids = lines["line_id"].to_numpy(dtype=object)
        position_of = {line_id: index for index, line_id in enumerate(line_ids.tolist())}

        # Used: entries of lines shown, stably by line, each record's rows in row order.
        entry_line = _positions(self.line_ids, position_of)[_joined_ints(self.lines)]
        shown = np.flatnonzero(entry_line >= 0)
        shown = shown[np.argsort(entry_line[shown], kind="stable")]
        records = _joined_ints(self.records)[shown]
        used_rows = usage.rows_in_order(records)
        sizes = usage.record_sizes[records]  # rows per entry, repeated to rows below
        used_line = np.repeat(entry_line[shown], sizes)
        used_factor = np.repeat(_joined_ints(self.factor_codes)[shown], sizes)

        # Billed: the kept contract lines, stably by line.
        billed_line = _positions([_line_id(*key) for key in billed.keys], position_of)[billed.group]
        kept = np.flatnonzero(billed_line >= 0)
        kept = kept[np.argsort(billed_line[kept], kind="stable")]
        billed_rows, billed_line = billed.kept[kept], billed_line[kept]

        # Each line's billed rows, then its used rows: where each row goes.
        billed_count = np.bincount(billed_line, minlength=len(line_ids))
        used_count = np.bincount(used_line, minlength=len(line_ids))
        start = np.cumsum(billed_count + used_count) - billed_count - used_count
        to_billed = (
            start[billed_line]
            + np.arange(len(billed_line))
            - (np.cumsum(billed_count) - billed_count)[billed_line]
        )
        # Used rows come line by line: each goes to its line's first used place plus its rank.
        to_used = np.repeat(start + billed_count - np.cumsum(used_count) + used_count, used_count)
        to_used += np.arange(len(used_line))
        size = len(billed_line) + len(used_line)
        amounts = np.empty(size, dtype=object)
        amounts[to_billed] = billed.amounts()[kept]
        amounts[to_used] = np.take(usage.rows["amount"].to_numpy(dtype=object), used_rows)

        def text(
            billed_part: tuple[np.ndarray, np.ndarray], used_part: tuple[np.ndarray, np.ndarray]
        ) -> pd.Categorical:
            return encoded_text([(*billed_part, to_billed), (*used_part, to_used)], size)

        return pd.DataFrame(
            {
                "line_id": text((billed_line, line_ids), (used_line, line_ids)),
                "side": text(
                    (np.zeros(len(billed_line), dtype=np.int64), _SIDES),
                    (np.ones(len(used_line), dtype=np.int64), _SIDES),
                ),
                **_provenance(
                    [(billed, billed_rows, to_billed), (usage, used_rows, to_used)],
                    size,
                    encoded=True,
                ),
                "factor": text(
                    (np.zeros(len(billed_line), dtype=np.int64), np.array([""], dtype=object)),
                    (used_factor, np.asarray(self.factors, dtype=object)),
                ),
                "amount": amounts,
            },
            columns=EVIDENCE_COLUMNS,
            copy=False,  # millions of rows: each column as made, not stacked into blocks
        )


_SIDES = np.array(["billed", "used"], dtype=object)


def _positions(line_ids: list[str], position_of: dict[str, int]) -> np.ndarray:
    """Each line id's position among the lines shown, -1 when it is not shown."""
    return np.asarray([position_of.get(line_id, -1) for line_id in line_ids], dtype=np.int64)


def _joined_ints(chunks: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)


class _Exclusions:
    """Usage records left out by a decision: (records, reason, company id) entries in the order
    they were decided; :meth:`frame` makes the result's ``excluded`` rows."""

    def __init__(self) -> None:
        self.records: list[np.ndarray] = []
        self.reasons: list[np.ndarray] = []
        self.companies: list[np.ndarray] = []

    def add(
        self, records: np.ndarray, reason: str | np.ndarray, company_id: str | np.ndarray
    ) -> None:
        """Leave ``records`` out, each with its reason and client (or one for all)."""
        self.records.append(np.asarray(records, dtype=np.int64))
        for chunks, value in ((self.reasons, reason), (self.companies, company_id)):
            values = np.empty(len(records), dtype=object)
            values[:] = value
            chunks.append(values)

    def frame(self, usage: _Usage, billed: _Billed, customers: pd.DataFrame) -> pd.DataFrame:
        """Usage rows an importer left out (with the client where known), then the rows of
        records left out here, then contract lines an importer left out."""
        decided, entry = usage.rows_of(_joined_ints(self.records))
        reason_code, reasons = billed.text("excluded_reason")
        left_out = np.flatnonzero(np.asarray(reasons != "", dtype=bool)[reason_code])
        ends = np.cumsum([0, len(usage.uncounted), len(decided), len(left_out)]).tolist()
        places = [slice(ends[0], ends[1]), slice(ends[1], ends[2]), slice(ends[2], ends[3])]
        usage_reason, usage_reasons = usage.text_at("excluded_reason", usage.uncounted)
        contract_reason, contract_reasons = billed.text_at("excluded_reason", left_out)
        contract_company, contract_companies = billed.text_at("company_id", left_out)
        return pd.DataFrame(
            {
                **_provenance(
                    [
                        (usage, usage.uncounted, places[0]),
                        (usage, decided, places[1]),
                        (billed, left_out, places[2]),
                    ],
                    ends[3],
                    encoded=False,
                ),
                "reason": _text_column(
                    [
                        (usage_reason, usage_reasons, places[0]),
                        (entry, _joined_objects(self.reasons), places[1]),
                        (contract_reason, contract_reasons, places[2]),
                    ],
                    ends[3],
                    encoded=False,
                ),
                "company_id": _text_column(
                    [
                        (
                            usage.customer_of_uncounted,
                            customers["company_id"].to_numpy(dtype=object),
                            places[0],
                        ),
                        (entry, _joined_objects(self.companies), places[1]),
                        (contract_company, contract_companies, places[2]),
                    ],
                    ends[3],
                    encoded=False,
                ),
            },
            columns=EXCLUDED_COLUMNS,
        )


def _joined_objects(chunks: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.empty(0, dtype=object), *chunks])


#: Reasons of records left out because another row or file already holds them.
_SAME_RECORD = (SAME_RECORD, DUPLICATE_FILE)


def _left_out_states(rows: _EncodedRows) -> np.ndarray:
    """Per row, the state of a row an importer left out: same record, or excluded."""
    codes, reasons = rows.text("excluded_reason")
    same = np.asarray([str(reason).startswith(_SAME_RECORD) for reason in reasons], dtype=bool)
    return np.where(same[codes], _SAME, _EXCLUDED).astype(np.int8)


def _coverage(
    inputs: Inputs,
    usage: _Usage,
    records: _Records,
    billed: _Billed,
    line_states: dict[tuple[str, str], str],
) -> pd.DataFrame:
    """Per file: every usage record and contract line accounted for exactly once."""
    usage_states = usage.row_states(records.state)
    contract_states = _left_out_states(billed)
    by_name = {"matched": _MATCHED, "not_reconciled": _NOT_RECONCILED}
    group_states = np.asarray(
        [by_name.get(line_states.get(key, "missing"), _MISSING) for key in billed.keys],
        dtype=np.int8,
    )
    contract_states[billed.kept] = group_states[billed.group]
    counted: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for side, states in ((usage, usage_states), (billed, contract_states)):
        lengths, file_code, files = side.text_runs("source_file")
        tally = np.zeros((len(files), len(_STATES)), dtype=np.int64)
        if len(lengths) <= len(files) * 4:
            # A file's rows come together: tallied run by run, not row by row.
            ends = np.cumsum(lengths)
            for code, start, end in zip(
                file_code.tolist(), (ends - lengths).tolist(), ends.tolist(), strict=True
            ):
                tally[code] += np.bincount(states[start:end], minlength=len(_STATES))
        else:
            cell = np.repeat(file_code.astype(np.int64) * len(_STATES), lengths) + states
            tally += np.bincount(cell, minlength=tally.size).reshape(tally.shape)
        for source_file, row in zip(files.tolist(), tally.tolist(), strict=True):
            for state, count in zip(_STATES, row, strict=True):
                if count:
                    counted[str(source_file)][state] += count
                    counted[str(source_file)]["records"] += count
    rows = []
    for file in _rows(inputs.files):
        counts = counted.get(file.source_file, {})
        if counts.get("missing"):
            raise AssertionError(
                f"{counts['missing']} records of {file.source_file} were not accounted for"
            )
        if file.side == "psa-entity" and not counts:
            # Companies, Contracts, Services...: looked up for names and prices, not reconciled.
            counts = {"records": file.rows_read, "reference": file.rows_read}
        if file.side == "duplicate" and not counts:
            # The same file dropped twice: read once, so every row of the copy is left out.
            counts = {"records": file.rows_read, "same_record": file.rows_read}
        rows.append(
            {
                "source_file": file.source_file,
                "format": file.format,
                "rows_read": file.rows_read,
                **{c: counts.get(c, 0) for c in COVERAGE_COLUMNS[3:]},
            }
        )
    return pd.DataFrame.from_records(rows, columns=COVERAGE_COLUMNS)


def _settle(
    line: dict[str, Any],
    status: Status,
    billed: int,
    expected_quantity: int | None,
    reason: str,
) -> None:
    """Set a line's verdict, quantities and money impact."""
    difference, revenue_impact, cost_impact = _impacts(
        status, billed, expected_quantity, line["unit_price"], line["unit_cost"]
    )
    line.update(
        status=status,
        billed_quantity=billed,
        expected_quantity=expected_quantity,
        difference=difference,
        revenue_impact=revenue_impact,
        cost_impact=cost_impact,
        reason=reason,
    )


def _impacts(
    status: Status,
    billed: int,
    expected_quantity: int | None,
    unit_price: Decimal,
    unit_cost: Decimal,
) -> tuple[int | None, Decimal, Decimal]:
    """A line's quantity difference and, when it proposes an adjustment, its money impact."""
    difference = None if expected_quantity is None else expected_quantity - billed
    if difference is None or status not in ADJUSTMENT_STATUSES:
        return difference, ZERO, ZERO
    return difference, to_cents(difference * unit_price), to_cents(difference * unit_cost)


#: A line's cells before anything is known: text columns empty, the others None.
_NO_LINE = {column: "" if column in TEXT_LINE_COLUMNS else None for column in LINE_COLUMNS}
_NO_VENDORS: frozenset[str] = frozenset()


def _line_frame(lines: list[dict[str, Any] | tuple[Any, ...]]) -> pd.DataFrame:
    """The lines as the result's frame (:class:`~workbench.result.LineSchema`), column by
    column in the types the schema declares; a line is its cells by column name, or all its
    cells in :data:`LINE_COLUMNS` order."""
    cells = operator.itemgetter(*LINE_COLUMNS)
    rows = [
        line
        if isinstance(line, tuple)
        else cells(line if len(line) == len(_NO_LINE) else {**_NO_LINE, **line})
        for line in lines
    ]
    columns = dict(zip(LINE_COLUMNS, zip(*rows, strict=True), strict=True)) if rows else {}

    def column(name: str) -> Any:
        values = columns.get(name, ())
        if name in ("billed_quantity", "tolerance"):
            return np.asarray(values, dtype=np.int64)
        if name in ("expected_quantity", "difference"):
            return pd.array(values, dtype="Int64")
        if name in _MONEY_COLUMNS:
            objects = np.empty(len(values), dtype=object)
            objects[:] = values
            return objects
        # Made by Arrow from the Python strings (pandas' own conversion checks each first).
        return pd.array(pa.array(values, type=pa.large_string(), from_pandas=True), dtype="str")

    return pd.DataFrame({name: column(name) for name in LINE_COLUMNS}, columns=LINE_COLUMNS)


_MONEY_COLUMNS = ("unit_price", "unit_cost", "revenue_impact", "cost_impact", "vendor_spend")


@dataclass(frozen=True)
class _Context:
    known_at: dict[str, set[str]]  # company -> vendors that have a customer mapped to it
    vendors_present: set[str]  # vendors with usage this period
    company_names: dict[str, str]
    services: pd.DataFrame  # the service mappings (expanded)
    list_prices: dict[str, tuple[Decimal, Decimal]]  # the PSA's services: unit price, cost

    def list_price(self, service_id: str) -> tuple[Decimal, Decimal]:
        """Catalogue unit price and cost, for a service not on the client's contract."""
        return self.list_prices.get(service_id, (ZERO, ZERO))

    def checked_by(self, company_id: str, vendors: Set[str]) -> Set[str]:
        """The vendors of ``vendors`` that know the client and sent an export this period."""
        return vendors & self.known_at.get(company_id, _NO_VENDORS) & self.vendors_present

    def checked_in_order(self, company_id: str, vendors: frozenset[str]) -> tuple[str, ...]:
        """:meth:`checked_by`, sorted; worked out once per set of vendors a client's service
        could be checked by and set of vendors that know the client (thousands of lines share
        a few of each)."""
        known = self._present_at.get(company_id, _NO_VENDORS)
        checked = self._checked.get((vendors, known))
        if checked is None:
            checked = self._checked[(vendors, known)] = tuple(sorted(vendors & known))
        return checked

    @functools.cached_property
    def _present_at(self) -> dict[str, frozenset[str]]:
        """Per company, the vendors that know it and sent an export this period."""
        return {
            company_id: frozenset(vendors & self.vendors_present)
            for company_id, vendors in self.known_at.items()
        }

    @functools.cached_property
    def _checked(self) -> dict[tuple[frozenset[str], frozenset[str]], tuple[str, ...]]:
        return {}

    def standalone(self, vendor: str, sku: str) -> bool:
        """Whether a service (not an ignore rule) is mapped to the SKU."""
        return (vendor, sku) in self.feeds

    @functools.cached_property
    def feeds(self) -> dict[tuple[str, str], list[tuple[str, Fraction]]]:
        """(vendor, SKU) -> the services it feeds, with their factors (ignore rules left out)."""
        feeds: dict[tuple[str, str], list[tuple[str, Fraction]]] = defaultdict(list)
        for row in _rows(self.services[self.services["exclude_reason"] == ""]):
            feeds[(row.vendor, row.sku)].append((row.service_id, row.factor))
        return dict(feeds)


@dataclass
class _BundleResult:
    lines: list[dict[str, Any]] = field(default_factory=list)
    keys: set[tuple[str, str]] = field(default_factory=set)  # (company, bundle service) done
    consumed: dict[tuple[str, str, str], int] = field(default_factory=dict)
    covered: set[tuple[str, str, str]] = field(default_factory=set)  # (company, vendor, sku)
    records: set[int] = field(default_factory=set)
    used: list[tuple[str, int, str]] = field(default_factory=list)  # (line id, record, factor)
    line_states: dict[tuple[str, str], str] = field(default_factory=dict)
    # (company, stand-alone service) -> (bundle name, driver SKU name, count) of the drivers
    # the mapping warnings are about: the same units are expected on both.
    also_drive: dict[tuple[str, str], list[tuple[str, str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _reconcile_bundles(
    mappings: Mappings,
    records: pd.DataFrame,
    billed: _Billed,
    context: _Context,
) -> _BundleResult:
    """Bundle lines (billed against driver counts) and component lines; see
    :mod:`workbench.bundles` for the rules.

    ``records`` are the counted usage records of mapped customers, ignore rules applied.
    """
    result = _BundleResult()
    if not mappings.bundles:
        return result
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    by_key: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in _rows(records):
        key = (row.company_id, row.vendor, row.sku)
        counts[key] += int(row.quantity)
        by_key[key].append(row)
    applies = {key for key in billed.lines if key[1] in mappings.bundles} | {
        (terms.company_id, terms.bundle_id) for terms in mappings.bundle_terms
    }
    remaining = dict(counts)
    for company_id, bundle_id in sorted(applies):
        bundle = mappings.bundles[bundle_id]
        terms = mappings.terms_for(company_id, bundle_id)
        for warning in mappings.warnings:
            driven = counts.get((company_id, warning.vendor, warning.sku), 0)
            if warning.bundle_id == bundle_id and driven:
                result.also_drive[(company_id, warning.service_id)].append(
                    (bundle.service_name, warning.sku_name, driven)
                )
        line_id = _line_id(company_id, bundle_id)
        line: dict[str, Any] = {
            "line_id": line_id,
            "company_id": company_id,
            "company_name": context.company_names.get(company_id, company_id),
            "service_id": bundle_id,
            "service_name": bundle.service_name,
            "tolerance": mappings.tolerances.get(bundle_id, 0),
            "vendor_spend": None,
        }
        line["unit_price"], line["unit_cost"] = context.list_price(bundle_id)
        on_contract = (company_id, bundle_id) in billed.lines
        billed_quantity = billed.fill(line, (company_id, bundle_id)) if on_contract else 0
        result.keys.add((company_id, bundle_id))
        for vendor, sku in bundle.skus():
            result.covered.add((company_id, vendor, sku))
        checked = context.checked_by(company_id, bundle.driver_vendors)
        included: int | None = None  # bundle units the drivers stand for, once counted
        if not checked:
            names = ", ".join(_vendor_title(v) for v in sorted(bundle.driver_vendors))
            _settle(
                line,
                Status.NOT_RECONCILED,
                billed_quantity,
                None,
                f"the bundle follows {names}, where this client has no mapped customer "
                "(or no export this period)",
            )
        else:
            client_counts = {(v, s): counts.get((company_id, v, s), 0) for v, s in bundle.skus()}
            units = bundle_arithmetic.driver_units(bundle, client_counts)
            quantity = bundle_arithmetic.expected_quantity(units, terms)
            included = bundle_arithmetic.included_units(units, terms)
            for driver in bundle.drivers:
                for row in by_key.get((company_id, driver.vendor, driver.sku), []):
                    result.used.append((line_id, row.record, str(driver.factor)))
                    result.records.add(row.record)
            status, reason = billed.verdict(
                (company_id, bundle_id),
                billed_quantity,
                quantity,
                line["tolerance"],
                sorted(checked),
            )
            reason = _bundle_reason(bundle, client_counts, units, quantity, terms) + "; " + reason
            _settle(line, status, billed_quantity, quantity, reason)
        result.lines.append(line)
        if on_contract:
            state = "matched" if included is not None else "not_reconciled"
            result.line_states[(company_id, bundle_id)] = state
        for component in bundle.components:
            result.lines.append(
                _component_line(
                    company_id,
                    bundle,
                    component,
                    included,
                    terms,
                    remaining,
                    context,
                    result,
                    by_key,
                )
            )
    return result


def _also_drive(drivers: list[tuple[str, str, int]]) -> str:
    """What a stand-alone line's reason adds when its units also drive a bundle that does not
    list them as a component (see :class:`~workbench.mapping.MappingWarning`)."""
    by_bundle: dict[str, list[str]] = defaultdict(list)
    for bundle_name, sku_name, count in drivers:
        by_bundle[bundle_name].append(f"{count} {sku_name}")
    return "".join(
        f"; these {' + '.join(units)} also drive the {bundle_name}, which does not list them "
        "as a component: see the mapping warning before approving"
        for bundle_name, units in by_bundle.items()
    )


def _bundle_reason(
    bundle: Bundle,
    counts: dict[tuple[str, str], int],
    units: Fraction,
    quantity: int,
    terms: BundleTerms | None,
) -> str:
    parts = []
    for driver in bundle.drivers:
        factor = "" if driver.factor == 1 else f" x {driver.factor}"
        parts.append(f"{counts.get((driver.vendor, driver.sku), 0)} {driver.sku_name}{factor}")
    text = f"{bundle.service_name} follows {' + '.join(parts)}"
    if terms is not None and terms.driver_adjustment:
        text += f", adjusted by {terms.driver_adjustment:+d}"
    if terms is not None and terms.minimum and quantity == terms.minimum and units < quantity:
        text += f", at the agreed minimum of {terms.minimum}"
    if terms is not None and terms.waived:
        text += f"; waived for this client: {terms.note or 'by agreement'}"
    return text + f": {quantity} bundle units"


def _component_line(
    company_id: str,
    bundle: Bundle,
    component: Component,
    quantity: int | None,
    terms: BundleTerms | None,
    remaining: dict[tuple[str, str, str], int],
    context: _Context,
    result: _BundleResult,
    by_key: dict[tuple[str, str, str], list[Any]],
) -> dict[str, Any]:
    """One component of one client's bundle: included units against the vendor's count.

    ``quantity`` is the bundle units the drivers stand for (the client's minimum aside), None
    when the bundle could not be checked.
    """
    line_id = f"{company_id}:{bundle.service_id}:{component.name}"
    keys = [(company_id, vendor, sku) for vendor, sku, _ in component.skus]
    for key in keys:
        for row in by_key.get(key, []):
            result.used.append((line_id, row.record, ""))
            result.records.add(row.record)
    line: dict[str, Any] = {
        "line_id": line_id,
        "company_id": company_id,
        "company_name": context.company_names.get(company_id, company_id),
        "service_id": bundle.service_id,
        "service_name": f"{bundle.service_name}: {component.name}",
        "vendor": ", ".join(sorted({v for v, _, _ in component.skus})),
        "vendor_sku": ", ".join(s for _, s, _ in component.skus),
        "vendor_sku_name": ", ".join(n for _, _, n in component.skus),
        "tolerance": 0,
        "vendor_spend": None,
        "unit_price": ZERO,  # the price is the bundle's: a component line bills nothing itself
        "unit_cost": component.unit_cost if component.unit_cost is not None else ZERO,
    }
    if quantity is None:
        _settle(line, Status.NOT_RECONCILED, 0, None, "the bundle's quantity is unknown")
        return line
    required = math.ceil(component.per_unit * quantity)
    if terms is not None and terms.waives(component.name):
        _settle(
            line,
            Status.NOT_RECONCILED,
            required,
            None,
            f"waived for this client: {terms.note or 'by agreement'}; not checked",
        )
        return line
    checked = context.checked_by(company_id, component.vendors)
    if not checked:
        names = ", ".join(_vendor_title(v) for v in sorted(component.vendors))
        _settle(
            line,
            Status.NOT_RECONCILED,
            required,
            None,
            f"this client has no mapped customer in {names} (or no export this period)",
        )
        return line
    available = sum(remaining.get(key, 0) for key in keys)
    check = bundle_arithmetic.check_component(component, quantity, available)
    left = check.consumed
    for key in keys:
        take = min(left, remaining.get(key, 0))
        if take:
            remaining[key] -= take
            result.consumed[key] = result.consumed.get(key, 0) + take
            left -= take
    source = " + ".join(_vendor_title(v) for v in sorted(checked))
    facts = (
        f"{quantity} bundle units include {check.required} {component.name}"
        f" ({component.rule} {component.per_unit} each); {source} shows {check.available}"
    )
    standalone = any(context.standalone(vendor, sku) for vendor, sku, _ in component.skus)
    status = Status.MATCH
    if check.short:
        status = Status.BUNDLE_GAP
        facts += f": {check.short} bundle units without it (deploy it, or review the bundle)"
    elif check.surplus and standalone:
        facts += f": {check.surplus} beyond the bundle, checked against the stand-alone service"
    elif check.surplus:
        status = Status.OUTSIDE_BUNDLE
        facts += f": {check.surplus} paid for but in no bundle and no service"
        if component.unit_cost is not None:
            line["vendor_spend"] = to_cents(check.surplus * component.unit_cost)
    elif check.available > check.required:
        facts += " (more are covered by the bundle)"
    _settle(line, status, check.required, check.available, facts)
    return line


def _vendor_title(vendor: object) -> str:
    return VENDOR_TITLES.get(str(vendor), str(vendor))


def _rows(frame: pd.DataFrame) -> Iterator[Any]:
    """Rows as named tuples (``Index`` first), typed loosely: each frame's columns are declared
    in this module.

    Like ``DataFrame.itertuples`` but each column is taken out as one NumPy object array first:
    iterating pandas' string arrays element by element costs a method call per cell, which is
    most of the reconciliation's time on a large file.
    """
    row = _row_type(tuple(str(column) for column in frame.columns))
    columns = [frame[column].to_numpy(dtype=object) for column in frame.columns]
    return map(row._make, zip(frame.index, *columns, strict=True))


@functools.lru_cache(maxsize=64)
def _row_type(columns: tuple[str, ...]) -> Any:
    return collections.namedtuple("Row", ["Index", *columns], rename=True)


def _line_id(company_id: str, service_id: str) -> str:
    return f"{company_id}:{service_id}"


def _verdict(
    billed: int, expected: int, tolerance: int, vendors: Sequence[str], on_contract: bool
) -> tuple[Status, str]:
    """The status of a line compared with usage, and the facts behind it.

    The two statuses of "nothing" mirror each other. *Unbilled usage* is usage with no line on
    the contract at all: a service on the contract at 0 units is under-billed instead, as its
    existing line is what a reviewer adjusts. *Billed without usage* is a line billing above 0
    where the vendors counting this client show none: a vendor has no line to keep at 0, so a
    SKU it lists at 0 and one it does not list are the same nothing.
    """
    facts = f"{_titles(tuple(vendors))} shows {expected}; the contract bills {billed}"
    if abs(expected - billed) <= tolerance:
        return Status.MATCH, facts + (
            f" (within tolerance of {tolerance})" if expected != billed else ""
        )
    if not on_contract:
        return Status.UNBILLED_USAGE, facts + ": used but not on the contract"
    if expected == 0:
        return Status.BILLED_WITHOUT_USAGE, facts + ": billed but nothing in use"
    if billed == 0:
        return Status.UNDER_BILLED, facts + ": on the contract at 0 units"
    if expected > billed:
        return Status.UNDER_BILLED, facts
    return Status.OVER_BILLED, facts


@functools.lru_cache(maxsize=256)
def _titles(vendors: tuple[str, ...]) -> str:
    """The vendors' names, as a line's reason gives its sources (a few sets, thousands of
    lines)."""
    return " + ".join(VENDOR_TITLES.get(v, v) for v in vendors)


def _unmapped_line(
    line_id: str,
    status: Status,
    first: dict[str, str],
    quantity: int,
    spend: Decimal | None,
    reason: str,
) -> dict[str, Any]:
    return {
        "line_id": line_id,
        "status": status,
        "company_id": "",
        "company_name": "",
        "service_id": "",
        "service_name": "",
        "contract_id": "",
        "contract_name": "",
        "contract_service_id": "",
        "vendor": first["vendor"],
        "vendor_customer_key": first["customer_key"],
        "vendor_customer_name": first["customer_name"],
        "vendor_sku": first["sku"],
        "vendor_sku_name": first["sku_name"],
        "billed_quantity": 0,
        "expected_quantity": quantity,
        "difference": None,
        "tolerance": 0,
        "unit_price": None,
        "unit_cost": None,
        "revenue_impact": ZERO,
        "cost_impact": ZERO,
        "vendor_spend": spend,
        "reason": reason,
    }
