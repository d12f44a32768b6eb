"""Count a record once, however many exports hold it.

Exports overlap: a site's devices saved again as a file of their own, the Partner Center file
kept as CSV and as a workbook, an organization row repeated, the first rows of an additions
export saved beside the whole. Every canonical record carries its format's natural key
(``record_key``: a device's uid, an organization's id and metric, a charge's subscription, type,
period and order, an addition's agreement, product, date and price, ...), prefixed with the
format so two formats never share a key.

The first record read with a key counts (files in name order, rows in file order). A later
record with the same key and the same values stays in the frame, excluded as
``same record as <file> row N``, so coverage and the Excluded sheet show where it went. The same
key with different values is a conflict: the month stops, naming both rows and what differs,
since no format we read documents which of two versions of a record is the true one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.errors import InputError

#: How a record left out because another file (or row) already holds it starts its reason.
SAME_RECORD = "same record as "

#: The values two copies of one record must agree on, per side: what the reconciliation counts
#: and prices. Names may differ (a tenant renamed between two exports is still one record).
USAGE_VALUES = ("customer_key", "sku", "quantity", "amount", "excluded_reason")
CONTRACT_VALUES = (
    "company_id",
    "contract_id",
    "service_id",
    "quantity",
    "unit_price",
    "unit_cost",
    "excluded_reason",
)


def count_once(
    records: pd.DataFrame, values: Sequence[str], hashes: Sequence[np.ndarray] | None = None
) -> pd.DataFrame:
    """``records`` with every repeated record excluded as the same record as its first copy.

    Parameters
    ----------
    records
        Canonical usage records or contract lines of one period, in read order.
    values
        The columns two copies of a record must agree on (:data:`USAGE_VALUES`,
        :data:`CONTRACT_VALUES`).
    hashes
        The :func:`key_hashes` of the records' keys, in parts (one per file, in any order), when
        the caller hashed them as it read them; else the keys are hashed here.

    Raises
    ------
    InputError
        When two records share a key but not their values, naming both rows.
    """
    keys = records["record_key"]
    if _each_key_once(keys, hashes):
        return records  # most months: no record twice
    keyed = (keys != "").to_numpy()
    repeated = keys.duplicated(keep="first").to_numpy() & keyed
    positions = np.arange(len(records))
    first_of = pd.Series(positions[keyed & ~repeated], index=keys.to_numpy()[keyed & ~repeated])
    later = positions[repeated]
    first = first_of.reindex(keys.to_numpy()[repeated]).to_numpy()
    for column in values:
        cells = records[column].to_numpy(dtype=object)
        differs = np.flatnonzero(cells[later] != cells[first])
        if len(differs):
            _conflict(records, int(first[differs[0]]), int(later[differs[0]]), column)
    files = records["source_file"].to_numpy(dtype=object)
    rows = records["source_row"].to_numpy()
    reasons = records["excluded_reason"].to_numpy(dtype=object).copy()
    reasons[later] = [f"{SAME_RECORD}{files[at]} row {rows[at]}" for at in first]
    quantities = records["quantity"].to_numpy().copy()
    quantities[later] = 0
    counted_once = records.assign(excluded_reason=reasons, quantity=quantities)
    if "amount" in counted_once:
        # The charge is the first copy's: a repeated row is not charged twice.
        amounts = counted_once["amount"].to_numpy(dtype=object).copy()
        amounts[later] = None
        counted_once["amount"] = pd.Series(amounts, index=counted_once.index, dtype=object)
    return counted_once


def key_hashes(keys: pd.Series) -> np.ndarray:
    """The hashes of the keys that are not blank, which tell whether any key is held twice
    (:func:`count_once`).

    Hashed a slice of keys at a time: the keys are never all Python strings at once (a set of
    two million keys would hold about 400 MiB) and the hashes take a few MiB.
    """
    texts = pa.array(keys.array, type=pa.large_string())
    hashes = []
    for chunk in texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]:
        for start in range(0, len(chunk), _HASHED_KEYS):
            part = chunk.slice(start, _HASHED_KEYS)
            hashed = np.fromiter(map(hash, part.to_pylist()), dtype=np.int64, count=len(part))
            hashes.append(hashed[pc.not_equal(part, "").to_numpy(zero_copy_only=False)])
    return np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.int64)


def _each_key_once(keys: pd.Series, hashes: Sequence[np.ndarray] | None) -> bool:
    """Whether no key but the blank one is held twice (False may also be two keys sharing a
    hash: the caller then compares the keys themselves)."""
    if hashes is None:
        counted = key_hashes(keys)
    else:
        counted = np.concatenate(hashes) if len(hashes) else np.zeros(0, dtype=np.int64)
        keyed = pc.sum(pc.not_equal(pa.array(keys.array, type=pa.large_string()), "")).as_py()
        if len(counted) != (keyed or 0):
            raise ValueError(f"{len(counted)} key hashes for {keyed} keys")
    # Sorted, a hash held twice sits beside itself: NumPy sorts two million hashes ~10 times
    # faster than pandas puts them in a hash table to find the unique ones.
    ordered = np.sort(counted)
    return not bool((ordered[1:] == ordered[:-1]).any())


#: Keys hashed at once.
_HASHED_KEYS = 1 << 16


def _conflict(records: pd.DataFrame, first: int, later: int, column: str) -> None:
    """Stop the month: one record, two versions."""
    was, now = records.iloc[first], records.iloc[later]
    key = str(now["record_key"]).split("|", 1)[-1]
    raise InputError(
        str(now["source_file"]),
        f"the same record ({key}) as {was['source_file']} row {was['source_row']}, "
        f"but its {column.replace('_', ' ')} differs: {_shown(was[column])} there, "
        f"{_shown(now[column])} here",
        row=int(now["source_row"]),
        expected="each record in one export only: remove the older or partial export from the "
        "period's inputs, or correct the one that is wrong",
    )


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)
