"""A frame checked for what its pandera model declares, without pandera's copies.

pandera's ``validate`` coerces a copy of the frame and runs each check through its own
machinery: on two million rows that is most of the time a check takes. :func:`check_frame`
reads the same models (they stay the one declaration of each frame) and checks the frame as it
is. The canonical frames every importer returns (:mod:`workbench.sources.schemas`) and the
frames of a result (:mod:`workbench.result`) are checked this way.
"""

from __future__ import annotations

import functools
from typing import Any, NoReturn

import pandas as pd
import pandera.errors
import pandera.pandas as pa
from pandera.engines import pandas_engine


@functools.cache
def _declared(model: type[pa.DataFrameModel]) -> pa.DataFrameSchema:
    return model.to_schema()


def check_frame(model: type[pa.DataFrameModel], frame: pd.DataFrame, *, name: str = "") -> None:
    """Check ``frame`` for what ``model`` declares, as pandera would with the schema's
    options (``strict``, ``ordered``, ``coerce``), but on the frame as it is.

    What is guaranteed:

    - exactly the declared columns, in the declared order;
    - each column of its declared type: text is the ``str`` type or Python strings (what
      coercing to text accepts without turning anything else into text), whole numbers of an
      integer type, categories a ``category`` column, and so on (pandera's own type check);
    - no missing value in a column not declared nullable, no repeated value in a column
      declared unique;
    - each column's checks (allowed values, minimum) hold for every value: of a category
      column, for every category it has, so for every value it holds;
    - each frame-wide check (money exact, coverage adding up) holds.

    Raises
    ------
    pandera.errors.SchemaError
        Naming the frame, the column and what breaks it.
    """

    schema = _declared(model)

    def refuse(message: str, column: str | None = None) -> NoReturn:
        raise pandera.errors.SchemaError(  # type: ignore[no-untyped-call]
            schema, frame, f"{name or schema.name}: {message}", column_name=column
        )

    declared = list(schema.columns)
    if list(frame.columns) != declared:
        refuse(f"columns {list(frame.columns)}, expected exactly {declared}, in that order")
    for column_name, column in schema.columns.items():
        values = frame[column_name]
        if not _of_type(values, column.dtype):
            refuse(
                f"column {column_name!r} is {values.dtype}, expected {column.dtype}", column_name
            )
        if not column.nullable and values.isna().any():
            refuse(f"column {column_name!r} has missing values", column_name)
        if column.unique and values.duplicated().any():
            refuse(f"column {column_name!r} repeats values", column_name)
        held = (
            pd.Series(values.cat.categories)
            if isinstance(values.dtype, pd.CategoricalDtype)
            else values
        )
        for rule in column.checks:
            if not _holds(rule, held):
                refuse(f"column {column_name!r} fails {rule.name} {rule.statistics}", column_name)
    for rule in schema.checks:
        # The model's own check (a class method), called as it is: pandera adds nothing to a
        # check that answers for the whole frame.
        if not bool(getattr(model, str(rule.name))(frame)):
            refuse(str(rule.error or rule.name))


def _holds(rule: pa.Check, values: pd.Series) -> bool:
    """Whether a column check holds for every value: allowed values and minimums (the checks
    the schemas use) worked out directly, any other check by pandera."""
    statistics = rule.statistics or {}
    if rule.name == "isin":
        return bool(values.isin(statistics["allowed_values"]).all())
    if rule.name == "greater_than_or_equal_to":
        return bool((values >= statistics["min_value"]).all())
    return bool(rule(values).check_passed)


def _of_type(values: pd.Series, declared: Any) -> bool:
    """Whether a column is of the declared pandera type, or holds what coercing to it keeps
    as it is (Python strings for text)."""
    if str(declared) == "category":
        return isinstance(values.dtype, pd.CategoricalDtype)
    if declared.check(pandas_engine.Engine.dtype(values.dtype)):
        return True
    return (
        str(declared) == str(pandas_engine.Engine.dtype("str"))
        and values.dtype == object
        and pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty")
    )
