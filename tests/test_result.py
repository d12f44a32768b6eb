"""The result's frames are declared as pandera models, and a result is checked against them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pandera.errors
import pytest

from workbench import Reconciliation
from workbench.result import LINE_COLUMNS, RESULT_SCHEMAS, check, encoded_text


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


def test_encoded_text_holds_the_texts_it_is_given_sorted_each_once() -> None:
    """Two parts into one column of 5 rows: the contract's part names "Acme" (and "Zeta", which
    none of its rows hold), the usage part "Acme" and "Bolt"; rows go where each part says."""
    billed = (np.array([0, 0]), np.array(["Acme", "Zeta"], dtype=object), np.array([0, 3]))
    used = (np.array([1, 0, 1]), np.array(["Acme", "Bolt"], dtype=object), np.array([1, 2, 4]))
    column = encoded_text([billed, used], 5)
    assert column.tolist() == ["Acme", "Bolt", "Acme", "Acme", "Bolt"]
    assert column.categories.tolist() == ["Acme", "Bolt"]  # sorted, once, only texts held
    assert column.codes.tolist() == [0, 1, 0, 0, 1]
    # One text for a whole part needs no codes looked up.
    assert encoded_text([(np.zeros(3), np.array([""], dtype=object), slice(None))], 3).tolist() == [
        "",
        "",
        "",
    ]


def test_the_evidence_text_is_dictionary_encoded_as_text_sorts(
    demo_result: Reconciliation,
) -> None:
    evidence = demo_result.evidence
    for column in ("line_id", "side", "source_file", "system", "customer", "item", "factor"):
        values = evidence[column]
        assert isinstance(values.dtype, pd.CategoricalDtype), column
        assert values.cat.categories.tolist() == sorted(set(values.tolist())), column
    assert set(evidence["side"]) == {"billed", "used"}


def test_evidence_with_an_unknown_side_is_refused(demo_result: Reconciliation) -> None:
    evidence = demo_result.evidence.copy()
    evidence["side"] = evidence["side"].cat.rename_categories({"billed": "maybe"})
    with pytest.raises(pandera.errors.SchemaError, match="side"):
        check(dataclasses.replace(demo_result, evidence=evidence))


def test_evidence_as_plain_text_is_refused(demo_result: Reconciliation) -> None:
    evidence = demo_result.evidence.astype({"customer": "str"})
    with pytest.raises(pandera.errors.SchemaError, match="customer"):
        check(dataclasses.replace(demo_result, evidence=evidence))


def test_evidence_read_when_asked_is_checked_when_first_read(demo_result: Reconciliation) -> None:
    """The engine hands evidence as a function run on first read: the check waits for it."""
    plain = demo_result.evidence.astype({"customer": "str"})
    reads: list[int] = []

    def read() -> pd.DataFrame:
        reads.append(1)
        return plain

    deferred = dataclasses.replace(demo_result, evidence=read)
    assert check(deferred) is deferred
    assert reads == []
    with pytest.raises(pandera.errors.SchemaError, match="customer"):
        _ = deferred.evidence
    good = dataclasses.replace(demo_result, evidence=lambda: demo_result.evidence)
    assert check(good).evidence is demo_result.evidence
