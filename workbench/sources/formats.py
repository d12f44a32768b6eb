"""The file formats the workbench recognises, each by the columns its header must hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from workbench.sources.reading import RawTable, header_key

#: What a format's rows are: vendor usage, PSA contract lines ready to reconcile, or one entity
#: export of a PSA (Autotask) that is joined with its sibling exports into contract lines.
Side = Literal["usage", "contract", "psa-entity"]


@dataclass(frozen=True)
class ReadContext:
    """What an importer may need beyond the file itself."""

    source_file: str  # relative to the workspace, as provenance columns name it
    period_start: date
    period_end: date
    date_order: str = "MDY"  # the workspace's order for ambiguous numeric dates: MDY or DMY
    #: What every natural key starts with, before a ``|``, so two formats never share a key: the
    #: format's key. An importer whose format ``prefixes_keys`` builds its keys with it.
    key_prefix: str = ""


@dataclass(frozen=True)
class Format:
    """A known export layout.

    ``signature`` lists the columns whose presence identifies the layout; other columns may come
    and go. ``read`` turns a table of this layout into canonical rows: usage rows
    (:class:`~workbench.sources.schemas.UsageSchema`), contract lines
    (:class:`~workbench.sources.schemas.ContractLineSchema`), or, for ``psa-entity`` formats, an
    entity table that :mod:`workbench.sources.autotask` joins into contract lines.
    """

    key: str
    title: str
    side: Side
    signature: tuple[str, ...]
    read: Callable[[RawTable, ReadContext], pd.DataFrame]
    #: The columns ``read`` looks at beyond the signature, when it looks at no others (None: it
    #: may look at any): a large CSV's other columns are then not converted to text.
    columns: tuple[str, ...] | None = None
    #: Whether ``read`` starts every natural key with :attr:`ReadContext.key_prefix` as it builds
    #: them (a large export's keys are then not copied once more to be prefixed).
    prefixes_keys: bool = False

    def missing(self, table: RawTable) -> list[str]:
        keys = table.keys
        return [name for name in self.signature if header_key(name) not in keys]
