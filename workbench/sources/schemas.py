"""Canonical frames every importer returns, declared as pandera models.

Every row keeps its provenance: the file it came from (relative to the workspace), the sheet
(empty for CSV) and the row number as a spreadsheet shows it (the header is row 1). Rows an
importer decided not to count stay in the frame with ``excluded_reason`` set, so the number of
rows read can always be checked against what became of them. ``record_key`` is the record's
natural key in its format (a device's uid, an organization's id and metric, a subscription's
charge): the same record read from two files, or twice from one, counts once
(:mod:`workbench.sources.overlap`).
"""

import re
from decimal import Decimal

import pandas as pd
import pandera.pandas as pa
from pandera.typing.pandas import Series


def _all_decimal(series: pd.Series) -> bool:
    return set(map(type, series.to_numpy(dtype=object))) <= {Decimal}


def _decimal_or_none(series: pd.Series) -> bool:
    return set(map(type, series.to_numpy(dtype=object))) <= {Decimal, type(None)}


class Provenance(pa.DataFrameModel):
    """Where a row came from."""

    source_file: Series[str]
    source_sheet: Series[str]
    source_row: Series[int] = pa.Field(ge=1)
    excluded_reason: Series[str]
    record_key: Series[str] = pa.Field(
        description="the record's natural key in its format (e.g. a device's uid), '' if none"
    )

    class Config:
        strict = True
        ordered = False


class ContractLineSchema(Provenance):
    """What a PSA bills: one recurring contract service line for the period."""

    psa: Series[str]
    company_id: Series[str]
    company_name: Series[str]
    contract_id: Series[str]
    contract_name: Series[str]
    contract_service_id: Series[str]
    service_id: Series[str]
    service_name: Series[str]
    quantity: Series[int] = pa.Field(ge=0)
    unit_price: Series[object] = pa.Field(description="Decimal, contract currency")
    unit_cost: Series[object] = pa.Field(description="Decimal, contract currency")

    @pa.dataframe_check(error="unit_price and unit_cost must be Decimal")
    @classmethod
    def money_is_decimal(cls, frame: pd.DataFrame) -> bool:
        return _all_decimal(frame["unit_price"]) and _all_decimal(frame["unit_cost"])


class UsageSchema(Provenance):
    """What a vendor delivered: one usage record (a row may yield several, one per metric).

    ``quantity`` is the record's signed contribution to the count at period end: a Partner
    Center refund row contributes the seats it takes back as a negative number.
    """

    vendor: Series[str]
    customer_key: Series[str] = pa.Field(description="vendor's own customer id")
    customer_name: Series[str]
    sku: Series[str] = pa.Field(description="vendor SKU or metric key")
    sku_name: Series[str]
    quantity: Series[int]
    amount: Series[object] = pa.Field(nullable=True, description="vendor charge (Decimal) or None")
    change_date: Series[str] = pa.Field(
        description="ISO date the vendor says the row's seats changed ('' if it does not say): "
        "Partner Center's ChargeStartDate, Pax8's startPeriod"
    )

    @pa.dataframe_check(error="amount must be Decimal or None")
    @classmethod
    def amount_is_decimal(cls, frame: pd.DataFrame) -> bool:
        return _decimal_or_none(frame["amount"])


def vendor_key(text: str) -> str:
    """A vendor's name as the ``vendor`` column holds it: ``Datto RMM`` -> ``datto_rmm``.

    Import profiles and the mappings workbook name vendors as people write them; both go
    through this so they meet the built-in formats' keys.
    """
    return re.sub(r"[^0-9a-z]+", "_", text.strip().casefold()).strip("_")


CONTRACT_LINE_COLUMNS = list(ContractLineSchema.to_schema().columns)
USAGE_COLUMNS = list(UsageSchema.to_schema().columns)
