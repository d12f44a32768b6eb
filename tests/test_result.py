"""The result's frames are declared as pandera models, and a result is checked against them."""

from __future__ import annotations

import dataclasses

import pandera.errors
import pytest

from workbench import Reconciliation
from workbench.result import LINE_COLUMNS, RESULT_SCHEMAS, check


def test_the_demo_result_holds_its_declared_frames(demo_result: Reconciliation) -> None:
    assert check(demo_result) is demo_result
    assert list(demo_result.lines.columns) == LINE_COLUMNS
    for name, schema in RESULT_SCHEMAS.items():
        assert list(getattr(demo_result, name).columns) == list(schema.to_schema().columns)


def test_a_float_price_is_refused(demo_result: Reconciliation) -> None:
    lines = demo_result.lines.copy()
    lines.loc[0, "revenue_impact"] = 12.5  # a float: money must stay exact
    with pytest.raises(pandera.errors.SchemaError, match="impacts must be Decimal"):
        check(dataclasses.replace(demo_result, lines=lines))


def test_coverage_that_loses_a_record_is_refused(demo_result: Reconciliation) -> None:
    coverage = demo_result.coverage.copy()
    coverage.loc[0, "records"] += 1
    with pytest.raises(pandera.errors.SchemaError, match="outcomes must add up"):
        check(dataclasses.replace(demo_result, coverage=coverage))


def test_an_unknown_status_is_refused(demo_result: Reconciliation) -> None:
    lines = demo_result.lines.copy()
    lines.loc[0, "status"] = "probably fine"
    with pytest.raises(pandera.errors.SchemaError, match="status"):
        check(dataclasses.replace(demo_result, lines=lines))
