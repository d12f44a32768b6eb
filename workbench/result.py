"""The result of reconciling a period: :class:`Reconciliation`, its :class:`Status` and frames.

This is the contract between the engine (:mod:`workbench.reconcile`) and every face that shows
or writes a result (views, the dashboard, workbooks, the ledger, the period store). Each frame is
declared as a pandera model and a result is checked against them (:func:`check`) when it is made
(its evidence when first read); the period store keeps each frame's columns and kinds, so a
stored result is not checked again.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera.typing.pandas import Series

from workbench.frame_check import check_frame
from workbench.mapping import MappingWarning
from workbench.money import ZERO, to_cents, total


class Status(StrEnum):
    """The one verdict a reconciliation line gets."""

    MATCH = "match"
    UNDER_BILLED = "under-billed"
    OVER_BILLED = "over-billed"
    UNBILLED_USAGE = "unbilled usage"
    BILLED_WITHOUT_USAGE = "billed without usage"
    UNMAPPED_CUSTOMER = "unmapped customer"
    UNMAPPED_SKU = "unmapped SKU"
    NOT_RECONCILED = "not reconciled"
    BUNDLE_GAP = "bundle gap"
    OUTSIDE_BUNDLE = "outside bundle"


#: Statuses that propose a change to what is billed.
ADJUSTMENT_STATUSES = (
    Status.UNDER_BILLED,
    Status.OVER_BILLED,
    Status.UNBILLED_USAGE,
    Status.BILLED_WITHOUT_USAGE,
)
UNMAPPED_STATUSES = (Status.UNMAPPED_CUSTOMER, Status.UNMAPPED_SKU)
#: Statuses whose revenue impact is revenue leaking, and those whose impact is over-billing risk.
LEAKING_STATUSES = (Status.UNDER_BILLED, Status.UNBILLED_USAGE)
RISK_STATUSES = (Status.OVER_BILLED, Status.BILLED_WITHOUT_USAGE)
#: Findings about what a bundle includes: bundle units sold without a component (a delivery
#: gap), and vendor licences paid for but in no bundle and no service.
BUNDLE_STATUSES = (Status.BUNDLE_GAP, Status.OUTSIDE_BUNDLE)

TEXT_LINE_COLUMNS = (
    "contract_id",
    "contract_name",
    "contract_service_id",
    "vendor",
    "vendor_customer_key",
    "vendor_customer_name",
    "vendor_sku",
    "vendor_sku_name",
)
#: What became of a file's records; per file they add up to its records. ``same_record``: left
#: out because another row or file holds the same record (:mod:`workbench.sources.overlap`).
COVERAGE_OUTCOMES = [
    "matched",
    "not_reconciled",
    "unmapped_customer",
    "unmapped_sku",
    "excluded",
    "same_record",
    "reference",
]


def _all_decimal(series: pd.Series) -> bool:
    return all(map(isinstance, series.to_numpy(dtype=object), repeat(Decimal)))


def _decimal_or_none(series: pd.Series) -> bool:
    return all(map(isinstance, series.to_numpy(dtype=object), repeat((Decimal, type(None)))))


class _ResultFrame(pa.DataFrameModel):
    """What every frame of a result is: exactly its columns, in order."""

    class Config:
        strict = True
        ordered = True
        # Text columns come as Python objects from some of the engine's paths: the check is of
        # what they hold, on a checked copy; the result keeps its frames as they are.
        coerce = True


class LineSchema(_ResultFrame):
    """One finding: a client's service (or an unmapped vendor customer or SKU) and its verdict."""

    line_id: Series[str]
    status: Series[str] = pa.Field(isin=[status.value for status in Status])
    company_id: Series[str]
    company_name: Series[str]
    service_id: Series[str]
    service_name: Series[str]
    contract_id: Series[str]
    contract_name: Series[str]
    contract_service_id: Series[str]
    vendor: Series[str]
    vendor_customer_key: Series[str]
    vendor_customer_name: Series[str]
    vendor_sku: Series[str]
    vendor_sku_name: Series[str]
    billed_quantity: Series[int] = pa.Field(ge=0)
    expected_quantity: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    difference: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    tolerance: Series[int] = pa.Field(ge=0)
    # None on a line with no contract price (an unmapped vendor customer or SKU).
    unit_price: Series[object] = pa.Field(nullable=True, description="Decimal or None")
    unit_cost: Series[object] = pa.Field(nullable=True, description="Decimal or None")
    revenue_impact: Series[object] = pa.Field(description="Decimal, per month, to the cent")
    cost_impact: Series[object] = pa.Field(description="Decimal, per month, to the cent")
    vendor_spend: Series[object] = pa.Field(nullable=True, description="Decimal or None")
    reason: Series[str]

    @pa.dataframe_check(error="impacts must be Decimal, prices, costs and spend Decimal or None")
    @classmethod
    def money_is_exact(cls, frame: pd.DataFrame) -> bool:
        return all(_all_decimal(frame[name]) for name in ("revenue_impact", "cost_impact")) and all(
            _decimal_or_none(frame[name]) for name in ("unit_price", "unit_cost", "vendor_spend")
        )


class EvidenceSchema(_ResultFrame):
    """A source row behind a line: a contract line billed or a usage record used.

    Millions of rows at 2,000 clients, drawn from a few thousand distinct texts: its text
    columns are dictionary-encoded (pandas ``category``, the texts they hold sorted as their
    categories), so they cost a small integer per row and sort and group as text does.
    """

    class Config:
        # The engine and the store make these columns exactly so: nothing to coerce, and
        # millions of rows not to copy (:func:`check` validates it in place).
        coerce = False

    line_id: Series[pd.CategoricalDtype]
    side: Series[pd.CategoricalDtype] = pa.Field(isin=["billed", "used"])
    source_file: Series[pd.CategoricalDtype]
    source_sheet: Series[pd.CategoricalDtype]
    source_row: Series[int] = pa.Field(ge=1)
    system: Series[pd.CategoricalDtype]
    customer: Series[pd.CategoricalDtype]
    item: Series[pd.CategoricalDtype]
    quantity: Series[int]
    factor: Series[pd.CategoricalDtype]
    # Decimal or None; not checked cell by cell: millions of rows at 2,000 clients.
    amount: Series[object] = pa.Field(nullable=True)


class ExcludedSchema(_ResultFrame):
    """A source row left out on purpose, with the reason and, where known, its client."""

    source_file: Series[str]
    source_sheet: Series[str]
    source_row: Series[int] = pa.Field(ge=1)
    system: Series[str]
    customer: Series[str]
    item: Series[str]
    quantity: Series[int]
    reason: Series[str]
    company_id: Series[str]


class CoverageSchema(_ResultFrame):
    """Per input file: rows read and what became of every record (they add up)."""

    source_file: Series[str]
    format: Series[str]
    rows_read: Series[int] = pa.Field(ge=0)
    records: Series[int] = pa.Field(ge=0)
    matched: Series[int] = pa.Field(ge=0)
    not_reconciled: Series[int] = pa.Field(ge=0)
    unmapped_customer: Series[int] = pa.Field(ge=0)
    unmapped_sku: Series[int] = pa.Field(ge=0)
    excluded: Series[int] = pa.Field(ge=0)
    same_record: Series[int] = pa.Field(ge=0)
    reference: Series[int] = pa.Field(ge=0)

    @pa.dataframe_check(error="a file's outcomes must add up to its records")
    @classmethod
    def nothing_lost(cls, frame: pd.DataFrame) -> bool:
        return bool((frame[COVERAGE_OUTCOMES].sum(axis=1) == frame["records"]).all())


class ClientSchema(_ResultFrame):
    """A client with a line."""

    company_id: Series[str] = pa.Field(unique=True)
    company_name: Series[str]


class CustomerMatchSchema(_ResultFrame):
    """How each vendor customer was matched to a PSA company (or suggested one)."""

    vendor: Series[str]
    customer_key: Series[str]
    customer_name: Series[str]
    company_id: Series[str]
    company_name: Series[str]
    method: Series[str]
    note: Series[str]
    suggested_company_id: Series[str]
    suggestion_score: Series[float] = pa.Field(nullable=True)
    suggestion_reasons: Series[str]  # why the suggestion, "; " between reasons


class FileSchema(_ResultFrame):
    """An input file: its format, what side it is on, rows read and checksum."""

    source_file: Series[str]
    format: Series[str]
    side: Series[str]
    rows_read: Series[int] = pa.Field(ge=0)
    sha256: Series[str]


#: Where the rows of a part of a column go: their positions, or a slice.
Rows = np.ndarray | slice


def encoded_text(parts: Sequence[tuple[np.ndarray, np.ndarray, Rows]], size: int) -> pd.Categorical:
    """A dictionary-encoded text column of ``size`` rows, as a result keeps one
    (:class:`EvidenceSchema`): the texts it holds, sorted and each once, are its categories, so
    the same texts always make the same column.

    Parameters
    ----------
    parts
        ``(codes, values, rows)``: the part's rows hold ``values[codes]`` and go to ``rows``.
    size
        Rows of the column; every row must be in some part.
    """
    # Codes as array positions once (not at each lookup); one text needs none.
    parts = [
        (np.asarray(codes, dtype=np.intp) if len(values) > 1 else codes, values, rows)
        for codes, values, rows in parts
    ]
    observed = [
        np.flatnonzero(np.bincount(codes, minlength=len(values)))
        if len(values) > 1
        else np.arange(min(len(codes), len(values)))
        for codes, values, _ in parts
    ]
    held = pyarrow.array(
        np.concatenate(
            [np.empty(0, dtype=object)]
            + [
                np.asarray(values, dtype=object)[used]
                for (_, values, _), used in zip(parts, observed, strict=True)
            ]
        ),
        type=pyarrow.large_string(),
    )
    distinct = pc.dictionary_encode(held)
    order = pc.sort_indices(distinct.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    held_rank = rank[distinct.indices.to_numpy(zero_copy_only=False)]
    # The smallest codes pandas keeps for this many categories, so they are not copied again.
    dtype = next(t for t in (np.int8, np.int16, np.int32, np.int64) if len(order) < np.iinfo(t).max)
    column: np.ndarray[Any, np.dtype[np.integer[Any]]] = np.empty(size, dtype=dtype)
    start = 0
    for (codes, values, rows), used in zip(parts, observed, strict=True):
        recoded = np.zeros(len(values), dtype=dtype)
        recoded[used] = held_rank[start : start + len(used)]
        start += len(used)
        # One text for the whole part (a file's sheet, a PSA's name): no codes to look up.
        column[rows] = recoded[0] if len(values) == 1 else np.take(recoded, codes)
    # Python strings as categories: a reader (and the check) walks them as Python objects.
    categories = pd.Index(
        distinct.dictionary.take(pyarrow.array(order)).to_numpy(zero_copy_only=False),
        dtype=object,
    )
    return pd.Categorical.from_codes(column, categories=categories, validate=False)


LINE_COLUMNS = list(LineSchema.to_schema().columns)
EVIDENCE_COLUMNS = list(EvidenceSchema.to_schema().columns)
EXCLUDED_COLUMNS = list(ExcludedSchema.to_schema().columns)
COVERAGE_COLUMNS = list(CoverageSchema.to_schema().columns)
#: Each frame of a result and the schema it is checked against.
RESULT_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "lines": LineSchema,
    "evidence": EvidenceSchema,
    "excluded": ExcludedSchema,
    "coverage": CoverageSchema,
    "clients": ClientSchema,
    "customer_matches": CustomerMatchSchema,
    "files": FileSchema,
}


@dataclass(frozen=True)
class Summary:
    """Headline figures of a reconciliation (all money exact, in the contract currency)."""

    clients: int
    lines: int
    counts: dict[Status, int]
    revenue_leaking: Decimal  # under-billed + unbilled usage, per month
    over_billing_risk: Decimal  # over-billed + billed without usage, as a positive amount
    unmapped_spend: Decimal  # vendor charges behind unmapped lines
    billed_revenue: Decimal
    checked_revenue: Decimal  # billed revenue on lines compared with usage
    outside_bundle_spend: Decimal = ZERO  # cost of licences in no bundle and no service

    @property
    def coverage(self) -> float:
        """Share of billed revenue that was compared with usage (0..1)."""
        return float(self.checked_revenue / self.billed_revenue) if self.billed_revenue else 0.0

    @property
    def discrepancies(self) -> int:
        return sum(self.counts[status] for status in ADJUSTMENT_STATUSES)

    @property
    def bundle_findings(self) -> int:
        return sum(self.counts[status] for status in BUNDLE_STATUSES)


class ReadWhenAsked:
    """A frame field given either as the frame or as a function that reads it: the function
    runs the first time the frame is asked for, and its frame is kept.

    The engine and the period store hand a result's evidence this way (one row per source row:
    two million at 2,000 clients): the review and the dashboard's first page never read it.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}_value"

    def __get__(self, instance: object, owner: type | None = None) -> pd.DataFrame:
        if instance is None:
            raise AttributeError(self.slot)  # a dataclass field without a default
        value = instance.__dict__[self.slot]
        if callable(value):
            value = value()
            instance.__dict__[self.slot] = value
        frame: pd.DataFrame = value
        return frame

    def __set__(self, instance: object, value: pd.DataFrame | Callable[[], pd.DataFrame]) -> None:
        instance.__dict__[self.slot] = value

    def when_read(self, instance: object, step: Callable[[pd.DataFrame], object]) -> bool:
        """Have ``step`` run on the frame when it is read; False when it is read already (so
        ``step`` was not deferred)."""
        read = instance.__dict__[self.slot]
        if not callable(read):
            return False

        def read_then_step() -> pd.DataFrame:
            frame: pd.DataFrame = read()
            step(frame)
            return frame

        instance.__dict__[self.slot] = read_then_step
        return True


@dataclass(frozen=True, kw_only=True)
class Reconciliation:
    """The result of reconciling one period: what writers and widgets consume.

    Attributes
    ----------
    lines
        One row per finding, columns :data:`LINE_COLUMNS`.
    evidence
        The source rows behind each line (``line_id``), billed side and used side, line by line;
        its text columns are dictionary-encoded (:class:`EvidenceSchema`). Given as the frame,
        or as a function that reads it when first asked for (:class:`ReadWhenAsked`).
    coverage
        Per input file: rows read and what became of every usage record or contract line.
    excluded
        Source rows left out on purpose, with the reason and, where known, the client's
        ``company_id`` (so a client's view shows only its own rows).
    clients
        ``company_id, company_name`` of every client with a line.
    files
        The input files read: ``source_file, format, side, rows_read, sha256``.
    mapping_warnings
        What in the mappings reads fine but probably is not what was meant
        (:attr:`Mappings.warnings <workbench.mapping.Mappings.warnings>`); a client's result
        keeps those about its own bundles.
    """

    period: str
    currency: str
    lines: pd.DataFrame
    evidence: ReadWhenAsked = ReadWhenAsked()
    coverage: pd.DataFrame
    excluded: pd.DataFrame
    clients: pd.DataFrame
    customer_matches: pd.DataFrame
    files: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["source_file", "format", "side", "rows_read", "sha256"]
        )
    )
    mapping_warnings: tuple[MappingWarning, ...] = ()

    @functools.cached_property
    def _client_rows(self) -> dict[str, dict[str, np.ndarray]] | None:
        """Per company id, the positions of its rows in each frame :meth:`for_client` filters;
        None when line ids are not unique, as evidence is then not one client's alone."""
        if not self.lines["line_id"].is_unique:
            return None
        owner = dict(zip(self.lines["line_id"], self.lines["company_id"], strict=True))
        keys = {
            "lines": self.lines["company_id"],
            "evidence": self.evidence["line_id"].map(owner),
            "excluded": self.excluded["company_id"],
            "clients": self.clients["company_id"],
            "customer_matches": self.customer_matches["company_id"],
        }
        rows: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
        for frame, key in keys.items():
            for company_id, positions in key.groupby(key, sort=False).indices.items():
                rows[str(company_id)][frame] = np.asarray(positions)
        return dict(rows)

    def for_client(self, company_id: str) -> Reconciliation:
        """The same result restricted to one client."""
        index = self._client_rows
        if index is None:
            return self._for_client_by_mask(company_id)
        rows = index.get(company_id, {})
        nothing = np.empty(0, dtype=np.intp)

        def take(name: str) -> pd.DataFrame:
            frame: pd.DataFrame = getattr(self, name)
            return frame.iloc[rows.get(name, nothing)].reset_index(drop=True)

        lines = take("lines")
        return Reconciliation(
            period=self.period,
            currency=self.currency,
            lines=lines,
            evidence=take("evidence"),
            coverage=self.coverage,
            excluded=take("excluded"),
            clients=take("clients"),
            customer_matches=take("customer_matches"),
            files=self.files,
            mapping_warnings=self._warnings_about(lines),
        )

    def _for_client_by_mask(self, company_id: str) -> Reconciliation:
        lines = self.lines[self.lines["company_id"] == company_id]
        return Reconciliation(
            period=self.period,
            currency=self.currency,
            lines=lines.reset_index(drop=True),
            evidence=self.evidence[self.evidence["line_id"].isin(lines["line_id"])].reset_index(
                drop=True
            ),
            coverage=self.coverage,
            excluded=self.excluded[self.excluded["company_id"] == company_id].reset_index(
                drop=True
            ),
            clients=self.clients[self.clients["company_id"] == company_id].reset_index(drop=True),
            customer_matches=self.customer_matches[
                self.customer_matches["company_id"] == company_id
            ].reset_index(drop=True),
            files=self.files,
            mapping_warnings=self._warnings_about(lines),
        )

    def _warnings_about(self, lines: pd.DataFrame) -> tuple[MappingWarning, ...]:
        """The mapping warnings about bundles these lines bill or check."""
        if not self.mapping_warnings:
            return ()
        bundles = set(lines["service_id"])
        return tuple(w for w in self.mapping_warnings if w.bundle_id in bundles)

    @property
    def adjustments(self) -> pd.DataFrame:
        """Lines that propose a change to billing, biggest money first."""
        picked = self.lines[self.lines["status"].isin(ADJUSTMENT_STATUSES)]
        order = picked["revenue_impact"].map(abs).sort_values(ascending=False, kind="stable").index
        return picked.loc[order].reset_index(drop=True)

    @property
    def unmapped(self) -> pd.DataFrame:
        return self.lines[self.lines["status"].isin(UNMAPPED_STATUSES)].reset_index(drop=True)

    def money_by_client(self) -> pd.DataFrame:
        """Per client (every one, zeros included): ``company_id, company_name, lines, checked,
        discrepancies, revenue_leaking, over_billing_risk``, in :attr:`clients` order.

        The same figures :meth:`summary` gives for one client, from one pass over the lines.
        """
        lines = self.lines[self.lines["company_id"] != ""]
        status = lines["status"]
        impact = lines["revenue_impact"]
        per_line = pd.DataFrame(
            {
                "company_id": lines["company_id"],
                "lines": 1,
                "checked": status.isin([Status.MATCH, *ADJUSTMENT_STATUSES]).astype("int64"),
                "discrepancies": status.isin(ADJUSTMENT_STATUSES).astype("int64"),
                "revenue_leaking": impact.where(status.isin(LEAKING_STATUSES), ZERO),
                "over_billing_risk": (-impact).where(status.isin(RISK_STATUSES), ZERO),
            }
        )
        grouped = per_line.groupby("company_id", sort=False)
        counts = grouped[["lines", "checked", "discrepancies"]].sum()
        money = grouped[["revenue_leaking", "over_billing_risk"]].agg(total)
        table = self.clients.join(counts, on="company_id").join(money, on="company_id")
        for name in ("lines", "checked", "discrepancies"):
            table[name] = table[name].fillna(0).astype("int64")
        for name in ("revenue_leaking", "over_billing_risk"):
            table[name] = table[name].map(
                lambda value: value if isinstance(value, Decimal) else ZERO
            )
        return table.reset_index(drop=True)

    def summary(self) -> Summary:
        lines = self.lines
        by_status = lines.groupby("status")
        counts = {status: int(by_status.size().get(status, 0)) for status in Status}

        def money(statuses: tuple[Status, ...], column: str) -> Decimal:
            return total(lines.loc[lines["status"].isin(statuses), column])

        compared = lines["status"].isin([Status.MATCH, *ADJUSTMENT_STATUSES])
        billed = lines["billed_quantity"] > 0
        billed_amounts = [
            to_cents(q * p)
            for q, p in zip(
                lines.loc[billed, "billed_quantity"], lines.loc[billed, "unit_price"], strict=True
            )
        ]
        checked_amounts = [
            to_cents(q * p)
            for q, p in zip(
                lines.loc[billed & compared, "billed_quantity"],
                lines.loc[billed & compared, "unit_price"],
                strict=True,
            )
        ]
        return Summary(
            clients=len(self.clients),
            lines=len(lines),
            counts=counts,
            revenue_leaking=money(LEAKING_STATUSES, "revenue_impact"),
            over_billing_risk=-money(RISK_STATUSES, "revenue_impact"),
            unmapped_spend=total(
                v
                for v in lines.loc[lines["status"].isin(UNMAPPED_STATUSES), "vendor_spend"]
                if v is not None
            ),
            billed_revenue=total(billed_amounts),
            checked_revenue=total(checked_amounts),
            outside_bundle_spend=total(
                v
                for v in lines.loc[lines["status"] == Status.OUTSIDE_BUNDLE, "vendor_spend"]
                if v is not None
            ),
        )


def check(result: Reconciliation) -> Reconciliation:
    """``result``, its frames checked against their schemas (:data:`RESULT_SCHEMAS`); a frame
    not read yet (:class:`ReadWhenAsked`) is checked when it is first read.

    Each frame is checked for what its schema declares (:func:`check_frame`), without pandera
    validating a coerced copy of it: the same guarantees, at a fraction of the cost.

    Raises
    ------
    pandera.errors.SchemaError
        Naming the frame's column and what breaks it: a defect, not a user's mistake. For a
        frame read when asked, raised by the first read.
    """
    for name, model in RESULT_SCHEMAS.items():
        step = functools.partial(check_frame, model, name=name)
        deferred = vars(Reconciliation).get(name)
        if not (isinstance(deferred, ReadWhenAsked) and deferred.when_read(result, step)):
            step(getattr(result, name))
    return result
