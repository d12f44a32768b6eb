"""Reconcile: what each client is billed against what its vendors say it uses.

One line per client and service (plus one per unmapped vendor customer or SKU), each with exactly
one :class:`~workbench.result.Status`; the result's type and frames are declared in
:mod:`workbench.result`. Money impact is the quantity difference at the contract's unit price and
unit cost, rounded to the cent per line; totals are sums of those lines.
"""

from __future__ import annotations

import collections
import functools
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import numpy as np
import pandas as pd

from workbench import bundles as bundle_arithmetic
from workbench.bundles import Bundle, BundleTerms, Component
from workbench.mapping import VENDOR_TITLES, Mappings
from workbench.money import ZERO, to_cents, total
from workbench.result import (
    ADJUSTMENT_STATUSES,
    COVERAGE_COLUMNS,
    EVIDENCE_COLUMNS,
    EXCLUDED_COLUMNS,
    LINE_COLUMNS,
    TEXT_LINE_COLUMNS,
    Reconciliation,
    Status,
)
from workbench.result import check as check_result
from workbench.sources import DUPLICATE_FILE, Inputs
from workbench.sources.overlap import SAME_RECORD

_NOTHING = Fraction(0)


def reconcile(
    inputs: Inputs, mappings: Mappings, *, period: str, currency: str = "USD"
) -> Reconciliation:
    """Reconcile a period's canonical inputs under the given mappings.

    Usage rows are first summed per vendor, vendor customer and SKU (a *record*); every
    decision is taken per record, and the source rows behind each record are attached to the
    lines and exclusions at the end, column by column. So the cost of a decision does not grow
    with the rows a vendor export repeats per device or per seat.
    """
    usage = _with_aliases(inputs.usage, mappings)
    contract = inputs.contract_lines
    catalogue = inputs.catalogue
    is_counted = (usage["excluded_reason"] == "").to_numpy()
    counted = usage[is_counted]
    groups = _UsageGroups(counted)
    seen = pd.concat(
        [
            groups.records[["vendor", "customer_key", "customer_name"]],
            usage.loc[~is_counted, ["vendor", "customer_key", "customer_name"]],
        ]
    ).drop_duplicates(["vendor", "customer_key"])
    customers = mappings.match_customers(seen, catalogue.companies)
    services = mappings.service_table(
        present=set(
            zip(
                groups.records["vendor"].to_numpy(dtype=object),
                groups.records["sku"].to_numpy(dtype=object),
                strict=True,
            )
        )
    )
    vendors_present = set(groups.records["vendor"])

    # Each record: which company, which service(s), or why none.
    records = groups.records.merge(
        customers[["vendor", "customer_key", "company_id", "method", "note"]],
        on=["vendor", "customer_key"],
        how="left",
    )
    outcome: dict[int, str] = {}
    used_entries: list[tuple[str, int, str]] = []  # (line id, record, factor)
    excluded_entries: list[tuple[int, str, str]] = []  # (record, reason, company id)

    excluded_customer = records["method"] == "excluded"
    for row in _rows(records[excluded_customer]):
        excluded_entries.append((row.record, f"customer excluded in mappings: {row.note}", ""))
        outcome[row.record] = "excluded"
    mapped = records[records["company_id"] != ""]
    unmapped_customer = records[records["method"] == "unmapped"]

    joined = mapped.merge(services, on=["vendor", "sku"], how="left")
    sku_missing = joined[joined["service_id"].isna()]
    sku_ignored = joined[joined["exclude_reason"].fillna("") != ""]
    for row in _rows(sku_ignored):
        reason = f"SKU excluded in mappings: {row.exclude_reason}"
        excluded_entries.append((row.record, reason, row.company_id))
        outcome[row.record] = "excluded"

    # Which vendors feed each service, and which vendors know each client.
    feeding: dict[str, set[str]] = defaultdict(set)
    for row in _rows(services[services["exclude_reason"] == ""]):
        feeding[row.service_id].add(row.vendor)
    known_at: dict[str, set[str]] = defaultdict(set)
    for row in _rows(customers[customers["company_id"] != ""]):
        known_at[row.company_id].add(row.vendor)
    billed = _Billed(contract)
    company_names = dict(
        zip(catalogue.companies["company_id"], catalogue.companies["company_name"], strict=True)
    )
    service_info = catalogue.services.set_index("service_id")
    line_states: dict[tuple[str, str], str] = {}  # contract lines: matched / not reconciled

    context = _Context(known_at, vendors_present, company_names, services, service_info)
    bundled = _reconcile_bundles(
        mappings, mapped[~mapped["record"].isin(sku_ignored["record"])], billed, context
    )
    for record in bundled.records:
        outcome[record] = "matched"
    used_entries.extend(bundled.used)
    line_states.update(bundled.line_states)
    in_bundle = pd.Series(
        [
            key in bundled.covered
            for key in zip(
                sku_missing["company_id"], sku_missing["vendor"], sku_missing["sku"], strict=True
            )
        ],
        index=sku_missing.index,
        dtype=bool,
    )
    sku_missing = sku_missing[~in_bundle]
    # A zero count of a metric nobody sells is no finding (a Huntress org without SAT learners).
    sku_zero = _nothing_to_show(sku_missing, ["company_id", "vendor", "sku"])
    for row in _rows(sku_missing[sku_zero]):
        reason = "zero count of a SKU no service is mapped to"
        excluded_entries.append((row.record, reason, row.company_id))
        outcome[row.record] = "excluded"
    sku_missing = sku_missing[~sku_zero]
    used = joined[joined["service_id"].notna() & (joined["exclude_reason"].fillna("") == "")]

    lines: list[dict[str, Any]] = list(bundled.lines)

    # Expected quantity per client and service.
    expected: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    in_bundles: dict[tuple[str, str], int] = defaultdict(int)
    # Whole units per factor, one exact product per group. Keyed by the factor's numerator and
    # denominator: hashing a Fraction costs a modular inverse, on every usage record.
    units_at: dict[tuple[str, str, int, int], int] = defaultdict(int)
    for row in _rows(used):
        key = (row.company_id, row.service_id)
        factor = row.factor
        units_at[(*key, factor.numerator, factor.denominator)] += row.quantity
        used_entries.append((_line_id(*key), row.record, str(factor)))
        outcome[row.record] = "matched"
    for (company_id, service_id, numerator, denominator), units in units_at.items():
        expected[(company_id, service_id)] += Fraction(units * numerator, denominator)

    for (bundle_client, bundle_vendor, bundle_sku), units in bundled.consumed.items():
        # Licences a bundle covers do not feed their stand-alone services as well.
        for service_id, factor in context.feeds.get((bundle_vendor, bundle_sku), []):
            expected[(bundle_client, service_id)] -= units * factor
            in_bundles[(bundle_client, service_id)] += units

    service_names = dict(
        zip(catalogue.services["service_id"], catalogue.services["service_name"], strict=True)
    )
    list_prices = dict(
        zip(
            catalogue.services["service_id"],
            zip(catalogue.services["unit_price"], catalogue.services["unit_cost"], strict=True),
            strict=True,
        )
    )
    for key in sorted((set(billed.lines) | set(expected)) - bundled.keys):
        company_id, service_id = key
        contract_line = billed.lines.get(key)
        if contract_line is None and math.ceil(expected.get(key, _NOTHING)) <= 0:
            continue  # neither billed nor used: checked, nothing to show
        tolerance = mappings.tolerances.get(service_id, 0)
        line: dict[str, Any] = {
            "line_id": _line_id(company_id, service_id),
            "company_id": company_id,
            "company_name": company_names.get(company_id, company_id),
            "service_id": service_id,
            "service_name": service_names.get(service_id, service_id),
            "tolerance": tolerance,
            "vendor_spend": None,
        }
        if contract_line is not None:
            billed_quantity = billed.fill(line, key)
        else:
            billed_quantity = 0
            line["unit_price"], line["unit_cost"] = list_prices.get(service_id, (ZERO, ZERO))

        sources = feeding.get(service_id, set())
        checked_by = sources & known_at[company_id] & vendors_present
        if not sources:
            status, reason, expected_quantity = (
                Status.NOT_RECONCILED,
                "no usage source is mapped to this service",
                None,
            )
        elif not checked_by:
            names = ", ".join(VENDOR_TITLES.get(v, v) for v in sorted(sources))
            status, expected_quantity = Status.NOT_RECONCILED, None
            reason = f"this client has no mapped customer in {names} (or no export this period)"
        else:
            expected_quantity = math.ceil(max(expected.get(key, _NOTHING), _NOTHING))
            status, reason = billed.verdict(
                key, billed_quantity, expected_quantity, tolerance, sorted(checked_by)
            )
            if in_bundles.get(key):
                reason += f" ({in_bundles[key]} more are covered by the client's bundle)"
            reason += _also_drive(bundled.also_drive.get(key, []))
        _settle(line, status, billed_quantity, expected_quantity, reason)
        lines.append(line)
        if contract_line is not None:
            line_states[key] = "not_reconciled" if status == Status.NOT_RECONCILED else "matched"

    customer_zero = _nothing_to_show(unmapped_customer, ["vendor", "customer_key", "sku"])
    for row in _rows(unmapped_customer[customer_zero]):
        reason = "zero count from a vendor customer nobody mapped"
        excluded_entries.append((row.record, reason, ""))
        outcome[row.record] = "excluded"
    unmapped_customer = unmapped_customer[~customer_zero]
    for (vendor, customer_key, sku), group in unmapped_customer.groupby(
        ["vendor", "customer_key", "sku"], sort=True
    ):
        line_id = f"unmapped:{vendor}:{customer_key}:{sku}"
        lines.append(
            _unmapped_line(
                line_id,
                Status.UNMAPPED_CUSTOMER,
                group.iloc[0],
                int(group["quantity"].sum()),
                _spend(group["amount"]),
                f"{_vendor_title(vendor)} customer is not mapped to a PSA company",
            )
        )
        for record in group["record"]:
            used_entries.append((line_id, int(record), ""))
            outcome[int(record)] = "unmapped_customer"

    for (sku_company, vendor, sku), group in sku_missing.groupby(
        ["company_id", "vendor", "sku"], sort=True
    ):
        company_id = str(sku_company)
        line_id = f"unmapped-sku:{company_id}:{vendor}:{sku}"
        line = _unmapped_line(
            line_id,
            Status.UNMAPPED_SKU,
            group.iloc[0],
            int(group["quantity"].sum()),
            _spend(group["amount"]),
            f"{_vendor_title(vendor)} SKU is not mapped to a PSA service",
        )
        line.update(company_id=company_id, company_name=company_names.get(company_id, company_id))
        lines.append(line)
        for record in group["record"]:
            used_entries.append((line_id, int(record), ""))
            outcome[int(record)] = "unmapped_sku"

    line_frame = pd.DataFrame(
        {
            column: [
                line.get(column, "" if column in TEXT_LINE_COLUMNS else None) for line in lines
            ]
            for column in LINE_COLUMNS
        },
        columns=LINE_COLUMNS,
    )
    for column in ("billed_quantity", "tolerance"):
        line_frame[column] = line_frame[column].astype("int64")
    for column in ("expected_quantity", "difference"):
        line_frame[column] = line_frame[column].astype("Int64")
    clients = (
        line_frame.loc[line_frame["company_id"] != "", ["company_id", "company_name"]]
        .drop_duplicates("company_id")
        .sort_values("company_name", key=lambda names: names.str.casefold())
        .reset_index(drop=True)
    )
    excluded = pd.concat(
        [
            _source_exclusions(usage[~is_counted], customers),
            groups.excluded(excluded_entries),
            _contract_exclusions(contract[contract["excluded_reason"] != ""]),
        ],
        ignore_index=True,
    )
    return check_result(
        Reconciliation(
            period=period,
            currency=currency,
            lines=line_frame,
            evidence=_evidence(line_frame, billed.evidence(), groups.evidence(used_entries)),
            coverage=_coverage(inputs, usage, is_counted, groups.states(outcome), line_states),
            excluded=excluded[EXCLUDED_COLUMNS],
            clients=clients,
            customer_matches=customers,
            files=inputs.files,
            mapping_warnings=mappings.warnings,
        )
    )


def _with_aliases(usage: pd.DataFrame, mappings: Mappings) -> pd.DataFrame:
    """Usage with each SKU replaced by the SKU it is an alias of (decided once per pair)."""
    if not mappings.aliases:
        return usage
    pairs = usage[["vendor", "sku"]].drop_duplicates()
    canonical = {
        (vendor, sku): mappings.canonical_sku(vendor, sku)
        for vendor, sku in zip(pairs["vendor"], pairs["sku"], strict=True)
    }
    return usage.assign(
        sku=[
            canonical[pair]
            for pair in zip(
                usage["vendor"].to_numpy(dtype=object),
                usage["sku"].to_numpy(dtype=object),
                strict=True,
            )
        ]
    )


class _UsageGroups:
    """Counted usage rows summed per (vendor, customer, SKU): the records decisions are about.

    ``records`` has ``record`` (0..n-1), the key, the first row's names, the summed quantity and
    the summed amount (None when no row has one). :meth:`evidence` and :meth:`excluded` turn
    per-record entries back into one row per source row.
    """

    def __init__(self, counted: pd.DataFrame) -> None:
        self.rows = counted
        codes = np.zeros(len(counted), dtype=np.int64)
        for column in ("vendor", "customer_key", "sku"):
            column_codes, uniques = pd.factorize(counted[column].to_numpy(dtype=object))
            codes = codes * max(len(uniques), 1) + column_codes
        codes, firsts = _factorize_ints(codes)
        self.codes = codes
        count = len(firsts)
        self.order = np.argsort(codes, kind="stable")
        self.sizes = np.bincount(codes, minlength=count)
        self.starts = np.cumsum(self.sizes) - self.sizes
        first = counted.iloc[firsts]
        quantities = counted["quantity"].to_numpy(dtype=np.int64)
        self.records = pd.DataFrame(
            {
                "record": np.arange(count, dtype=np.int64),
                "vendor": first["vendor"].to_numpy(dtype=object),
                "customer_key": first["customer_key"].to_numpy(dtype=object),
                "customer_name": first["customer_name"].to_numpy(dtype=object),
                "sku": first["sku"].to_numpy(dtype=object),
                "sku_name": first["sku_name"].to_numpy(dtype=object),
                "quantity": np.bincount(codes, weights=quantities, minlength=count).astype(np.int64)
                if count
                else np.zeros(0, dtype=np.int64),
                "amount": self._amounts(counted["amount"].to_numpy(dtype=object), count),
            }
        )

    def _amounts(self, amounts: np.ndarray, count: int) -> np.ndarray:
        sums: list[Decimal | None] = [None] * count
        present = np.flatnonzero(pd.notna(amounts))
        for code, amount in zip(self.codes[present].tolist(), amounts[present], strict=True):
            sums[code] = amount if sums[code] is None else sums[code] + amount
        result = np.empty(count, dtype=object)
        result[:] = sums
        return result

    def _positions(self, records: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row positions of the given records, and for each the index of its record."""
        sizes = self.sizes[records]
        entry = np.repeat(np.arange(len(records)), sizes)
        offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return self.order[np.repeat(self.starts[records], sizes) + offsets], entry

    def evidence(self, entries: list[tuple[str, int, str]]) -> pd.DataFrame:
        """One evidence row per source row behind each (line id, record, factor) entry."""
        line_ids, records, factors = _columns(entries, 3)
        positions, entry = self._positions(np.asarray(records, dtype=np.int64))
        rows = self.rows
        return pd.DataFrame(
            {
                "line_id": np.asarray(line_ids, dtype=object)[entry],
                "side": "used",
                **_provenance(
                    rows, positions, system="vendor", customer="customer_name", item="sku_name"
                ),
                "factor": np.asarray(factors, dtype=object)[entry],
                "amount": rows["amount"].to_numpy(dtype=object)[positions],
            },
            columns=EVIDENCE_COLUMNS,
        )

    def excluded(self, entries: list[tuple[int, str, str]]) -> pd.DataFrame:
        """One excluded row per source row of each (record, reason, company id) entry."""
        records, reasons, companies = _columns(entries, 3)
        positions, entry = self._positions(np.asarray(records, dtype=np.int64))
        rows = self.rows
        return pd.DataFrame(
            {
                **_provenance(
                    rows, positions, system="vendor", customer="customer_name", item="sku_name"
                ),
                "reason": np.asarray(reasons, dtype=object)[entry],
                "company_id": np.asarray(companies, dtype=object)[entry],
            },
            columns=EXCLUDED_COLUMNS,
        )

    def states(self, outcome: dict[int, str]) -> np.ndarray:
        """Per counted row, what became of its record ("missing" when nothing did)."""
        per_record = np.full(len(self.records), "missing", dtype=object)
        for record, state in outcome.items():
            per_record[record] = state
        return per_record[self.codes]


def _factorize_ints(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes 0..n-1 in order of first appearance, and each code's first position."""
    dense, _ = pd.factorize(codes)
    dense = np.asarray(dense, dtype=np.int64)
    firsts = np.full(int(dense.max()) + 1 if len(dense) else 0, -1, dtype=np.int64)
    # The first position of each code: write positions in reverse so the earliest wins.
    positions = np.arange(len(dense), dtype=np.int64)
    firsts[dense[::-1]] = positions[::-1]
    return dense, firsts


def _columns(entries: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [list(column) for column in zip(*entries, strict=True)] if entries else [[]] * width


def _spend(amounts: pd.Series) -> Decimal | None:
    present = [amount for amount in amounts if amount is not None and not pd.isna(amount)]
    return total(present) if present else None


class _Billed:
    """Contract lines summed per (company, service): quantity, and the contract fields and
    price of the largest-quantity row (the first of equals).

    A service is *on the contract* when at least one of its contract lines was read and not
    excluded, whatever its units: a line carried at 0 units is on the contract, one left out
    (outside the period, DoNotBill, an inactive contract) is not.
    """

    def __init__(self, contract: pd.DataFrame) -> None:
        is_excluded = (contract["excluded_reason"] != "").to_numpy()
        rows = contract[~is_excluded]
        self.rows = rows
        # A left-out line still shows in the PSA: its reason (the first, per service) is given
        # when the service's usage is reported as not on the contract.
        left_out = contract[is_excluded].drop_duplicates(["company_id", "service_id"])
        self.left_out: dict[tuple[str, str], str] = {
            (str(company), str(service)): str(reason)
            for company, service, reason in zip(
                left_out["company_id"],
                left_out["service_id"],
                left_out["excluded_reason"],
                strict=True,
            )
        }
        main = rows.sort_values("quantity", ascending=False, kind="stable").drop_duplicates(
            ["company_id", "service_id"]
        )
        summed = rows.groupby(["company_id", "service_id"], sort=False)["quantity"].sum()
        sums = dict(zip(summed.index.tolist(), summed.tolist(), strict=True))
        self.lines: dict[tuple[str, str], tuple[Any, ...]] = {
            (str(company), str(service)): (int(sums[(company, service)]), *fields)
            for company, service, *fields in zip(
                main["company_id"],
                main["service_id"],
                main["contract_id"],
                main["contract_name"],
                main["contract_service_id"],
                main["unit_price"],
                main["unit_cost"],
                strict=True,
            )
        }

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
        vendors: list[str],
    ) -> tuple[Status, str]:
        """:func:`_verdict` of a checked line, told whether its service is on the contract."""
        status, reason = _verdict(billed, expected, tolerance, vendors, key in self.lines)
        if status == Status.UNBILLED_USAGE and key in self.left_out:
            reason += f" (its contract line is left out: {self.left_out[key]})"
        return status, reason

    def evidence(self) -> pd.DataFrame:
        rows = self.rows
        pairs = list(
            zip(rows["quantity"].tolist(), rows["unit_price"].to_numpy(dtype=object), strict=True)
        )
        # Contract rows repeat a few (quantity, price) pairs: each amount is rounded once.
        amounts = {pair: to_cents(int(pair[0]) * pair[1]) for pair in set(pairs)}
        return pd.DataFrame(
            {
                "line_id": (rows["company_id"] + ":" + rows["service_id"]).to_numpy(dtype=object),
                "side": "billed",
                **_provenance(rows, system="psa", customer="company_name", item="service_name"),
                "factor": "",
                "amount": [amounts[pair] for pair in pairs],
            },
            columns=EVIDENCE_COLUMNS,
        )


def _evidence(lines: pd.DataFrame, billed: pd.DataFrame, used: pd.DataFrame) -> pd.DataFrame:
    """Evidence of the lines shown, line by line in line order, billed rows before used ones."""
    evidence = pd.concat([billed, used], ignore_index=True)
    position = pd.Series(np.arange(len(lines)), index=lines["line_id"].to_numpy(dtype=object))
    line_order = position.reindex(evidence["line_id"].to_numpy(dtype=object)).to_numpy()
    shown = ~np.isnan(line_order)
    evidence, line_order = evidence[shown], line_order[shown]
    order = np.lexsort(((evidence["side"] == "used").to_numpy(), line_order))
    shown_evidence: pd.DataFrame = evidence.iloc[order].reset_index(drop=True)
    return shown_evidence


def _source_exclusions(rows: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Usage rows an importer left out, with its reason and the client where known."""
    company = rows[["vendor", "customer_key"]].merge(
        customers[["vendor", "customer_key", "company_id"]],
        on=["vendor", "customer_key"],
        how="left",
    )["company_id"]
    return pd.DataFrame(
        {
            **_provenance(rows, system="vendor", customer="customer_name", item="sku_name"),
            "reason": rows["excluded_reason"].to_numpy(dtype=object),
            "company_id": company.fillna("").to_numpy(dtype=object),
        },
        columns=EXCLUDED_COLUMNS,
    )


def _provenance(
    rows: pd.DataFrame,
    positions: np.ndarray | None = None,
    *,
    system: str,
    customer: str,
    item: str,
) -> dict[str, np.ndarray]:
    """Where each row came from and what it says: the shared columns of evidence and
    exclusions, taken from ``rows`` (at ``positions`` when given) column by column."""

    def take(column: str, *, text: bool = True) -> np.ndarray:
        values = rows[column].to_numpy(dtype=object) if text else rows[column].to_numpy()
        return values if positions is None else values[positions]

    return {
        "source_file": take("source_file"),
        "source_sheet": take("source_sheet"),
        "source_row": take("source_row", text=False),
        "system": take(system),
        "customer": take(customer),
        "item": take(item),
        "quantity": take("quantity", text=False),
    }


def _contract_exclusions(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            **_provenance(rows, system="psa", customer="company_name", item="service_name"),
            "reason": rows["excluded_reason"].to_numpy(dtype=object),
            "company_id": rows["company_id"].to_numpy(dtype=object),
        },
        columns=EXCLUDED_COLUMNS,
    )


def _settle(
    line: dict[str, Any],
    status: Status,
    billed: int,
    expected_quantity: int | None,
    reason: str,
) -> None:
    """Set a line's verdict, quantities and money impact."""
    difference = None if expected_quantity is None else expected_quantity - billed
    proposes = status in ADJUSTMENT_STATUSES and difference is not None
    line.update(
        status=status,
        billed_quantity=billed,
        expected_quantity=expected_quantity,
        difference=difference,
        revenue_impact=to_cents(difference * line["unit_price"]) if proposes else ZERO,
        cost_impact=to_cents(difference * line["unit_cost"]) if proposes else ZERO,
        reason=reason,
    )


@dataclass(frozen=True)
class _Context:
    known_at: dict[str, set[str]]  # company -> vendors that have a customer mapped to it
    vendors_present: set[str]  # vendors with usage this period
    company_names: dict[str, str]
    services: pd.DataFrame  # the service mappings (expanded)
    catalogue: pd.DataFrame  # the PSA's services, indexed by service_id

    def list_price(self, service_id: str) -> tuple[Decimal, Decimal]:
        """Catalogue unit price and cost, for a service not on the client's contract."""
        if service_id not in self.catalogue.index:
            return ZERO, ZERO
        row = self.catalogue.loc[service_id]
        return cast(Decimal, row["unit_price"]), cast(Decimal, row["unit_cost"])

    def checked_by(self, company_id: str, vendors: set[str]) -> set[str]:
        return vendors & self.known_at.get(company_id, set()) & self.vendors_present

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
    billed: int, expected: int, tolerance: int, vendors: list[str], on_contract: bool
) -> tuple[Status, str]:
    """The status of a line compared with usage, and the facts behind it.

    The two statuses of "nothing" mirror each other. *Unbilled usage* is usage with no line on
    the contract at all: a service on the contract at 0 units is under-billed instead, as its
    existing line is what a reviewer adjusts. *Billed without usage* is a line billing above 0
    where the vendors counting this client show none: a vendor has no line to keep at 0, so a
    SKU it lists at 0 and one it does not list are the same nothing.
    """
    source = " + ".join(VENDOR_TITLES.get(v, v) for v in vendors)
    facts = f"{source} shows {expected}; the contract bills {billed}"
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


def _nothing_to_show(records: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Records of groups that count zero and cost nothing: no finding to show."""
    grouped = records.groupby(keys)
    quantity = grouped["quantity"].transform("sum")
    spend = grouped["amount"].transform(lambda amounts: total(a for a in amounts if a is not None))
    return (quantity == 0) & (spend == ZERO)


def _unmapped_line(
    line_id: str,
    status: Status,
    first: pd.Series,
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


#: Reasons of records left out because another row or file already holds them.
_SAME_RECORD = (SAME_RECORD, DUPLICATE_FILE)


def _is_same_record(rows: pd.DataFrame) -> np.ndarray:
    same: np.ndarray = rows["excluded_reason"].str.startswith(_SAME_RECORD).to_numpy(dtype=bool)
    return same


def _coverage(
    inputs: Inputs,
    usage: pd.DataFrame,
    is_counted: np.ndarray,
    counted_states: np.ndarray,
    line_states: dict[tuple[str, str], str],
) -> pd.DataFrame:
    """Per file: every usage record and contract line accounted for exactly once."""
    states = np.full(len(usage), "excluded", dtype=object)
    states[_is_same_record(usage)] = "same_record"
    states[is_counted] = counted_states
    contract = inputs.contract_lines
    contract_states = [
        ("same_record" if reason.startswith(_SAME_RECORD) else "excluded")
        if reason
        else line_states.get((company, service), "missing")
        for reason, company, service in zip(
            contract["excluded_reason"].to_numpy(dtype=object),
            contract["company_id"].to_numpy(dtype=object),
            contract["service_id"].to_numpy(dtype=object),
            strict=True,
        )
    ]
    every = pd.DataFrame(
        {
            "source_file": np.concatenate(
                [
                    usage["source_file"].to_numpy(dtype=object),
                    contract["source_file"].to_numpy(dtype=object),
                ]
            ),
            "state": np.concatenate([states, np.asarray(contract_states, dtype=object)]),
        }
    )
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sizes = every.groupby(["source_file", "state"]).size()
    for (source_file, state), count in zip(sizes.index.tolist(), sizes.tolist(), strict=True):
        tally[str(source_file)][str(state)] += int(count)
        tally[str(source_file)]["records"] += int(count)
    rows = []
    for file in _rows(inputs.files):
        counts = tally.get(file.source_file, {})
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
