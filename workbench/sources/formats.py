"""The file formats the workbench recognises, each by the columns its header must hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from workbench.sources.reading import RawTable, header_key

Side = Literal["usage", "psa"]


@dataclass(frozen=True)
class Format:
    """A known export layout.

    ``signature`` lists the columns whose presence identifies the layout; other columns may come
    and go. ``read`` turns a table of this layout into canonical rows (usage formats) or into a
    PSA entity table that :mod:`workbench.sources.autotask` assembles into contract lines.
    """

    key: str
    title: str
    side: Side
    signature: tuple[str, ...]
    read: Callable[[RawTable, str], pd.DataFrame]

    def missing(self, table: RawTable) -> list[str]:
        keys = table.keys
        return [name for name in self.signature if header_key(name) not in keys]
