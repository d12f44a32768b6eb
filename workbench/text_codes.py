"""Text columns whose dictionary codes are known already.

The period store keeps a month's text columns as Parquet does, dictionary-encoded: each
distinct text once, and a small integer per row. When the store reads a month back it
remembers those codes here (:func:`remember`), and the reconciliation, which works on encoded
keys, takes them (:func:`known`) instead of hashing millions of strings again.

Codes are remembered for the Arrow data a column holds. Arrow data never changes: a column set
anew or changed in place holds new Arrow data, for which no codes are known, and a copy of a
column shares the data and so the codes. An entry goes when its Arrow data is freed.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["known", "narrowest", "remember"]

#: id of a column's Arrow data -> (that data, weakly; codes per row; distinct values).
_KNOWN: dict[int, tuple[weakref.ref[Any], np.ndarray, np.ndarray]] = {}


def _arrow_data(column: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow data behind an Arrow-backed column (None for any other column)."""
    held = getattr(column.array, "__arrow_array__", None)
    data = held() if held is not None else None
    return data if isinstance(data, pa.ChunkedArray) else None


def remember(column: pd.Series, codes: np.ndarray, values: np.ndarray) -> None:
    """Remember that ``column`` holds ``values[codes]``, row by row.

    Parameters
    ----------
    column
        An Arrow-backed text column (others are not remembered).
    codes
        Per row, a position in ``values``: non-negative integers of any width.
    values
        The distinct texts, as Python strings in an object array.
    """
    data = _arrow_data(column)
    if data is None or len(codes) != len(data):
        return
    key = id(data)
    _KNOWN[key] = (weakref.ref(data), codes, values)
    weakref.finalize(data, _KNOWN.pop, key, None)


def known(column: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """The codes and distinct values remembered for ``column``'s data, None if there are none."""
    data = _arrow_data(column)
    entry = _KNOWN.get(id(data)) if data is not None else None
    if entry is None or entry[0]() is not data:
        return None
    return entry[1], entry[2]


def narrowest(codes: np.ndarray, count: int) -> np.ndarray:
    """``codes`` (positions among ``count`` values) in the narrowest integer type that holds
    them: a month's vendors, files and reasons fit in a byte per row."""
    for kind in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(kind).max:
            return codes.astype(kind, copy=False)
    return codes.astype(np.int64, copy=False)
