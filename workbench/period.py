"""One month of one workspace: the one place every face asks for it.

The CLI, the batch, the notebooks, the dashboard, the review workbook and the PSA import files
all open a :class:`Period` and ask it for the month's inputs, its reconciliation or a client;
nothing else reads the exports or reconciles. A period answers from the period store
(:mod:`workbench.store`) while the store was made from exactly the files, settings, mappings and
workbench version there are now; otherwise it reads or reconciles again, stores the new
snapshot, and :attr:`Period.changes` says why.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench import store
from workbench.customer_links import no_links
from workbench.errors import WorkbenchError
from workbench.mapping import Mappings
from workbench.reconcile import reconcile
from workbench.result import Reconciliation
from workbench.sources import Catalogue, Inputs
from workbench.workspace import Workspace, period_links, read_period_inputs

#: Canonical inputs kept in this process by their store id: confirming a mapping in the
#: dashboard re-reconciles them without reading the store again. Two periods at most.
_INPUTS: OrderedDict[str, Inputs] = OrderedDict()
#: The customer links of the inputs kept above, by the same id.
_LINKS: dict[str, pd.DataFrame] = {}


def latest_period(workspace: Workspace) -> str:
    """The newest period with an inputs folder."""
    periods = workspace.periods()
    if not periods:
        raise WorkbenchError(
            f"{workspace.root} has no period with inputs yet: put a month's exports in "
            "periods/<YYYY-MM>/inputs/"
        )
    return periods[-1]


@dataclass
class Period:
    """A month of a workspace (``2026-10``), read from its store whenever the store is current.

    Attributes
    ----------
    changes
        Filled when the store had to be made again: what changed since its newest snapshot,
        in words ("changed: mappings.xlsx", "added: periods/2026-10/inputs/pax8/items.csv").
    """

    workspace: Workspace
    name: str
    changes: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, workspace: str | Path | Workspace, period: str | None = None) -> Period:
        """The period named (checked: ``YYYY-MM`` with an inputs folder), else the latest."""
        opened = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
        name = str(period) if period else latest_period(opened)
        opened.inputs_folder(name)
        return cls(opened, name)

    def inputs_id(self) -> str:
        """The id of the inputs as they are now (stored or not: :meth:`inputs` stores them)."""
        return self._current_id()[0]

    def inputs(self) -> Inputs:
        """The month's canonical inputs: from the store, else read from the exports and stored."""
        return self._inputs()[1]

    def catalogue(self) -> Catalogue:
        """The PSA's companies and services: from the store without the rest of the month's
        inputs when it is current (the mapping review asks for nothing more)."""
        inputs_id, _ = self._current_id()
        if inputs_id in _INPUTS:
            return _INPUTS[inputs_id].catalogue
        stored = store.load_catalogue(self.workspace, self.name, inputs_id)
        return stored if stored is not None else self.inputs().catalogue

    def _current_id(self) -> tuple[str, dict[str, object] | None]:
        """The id of the month's inputs, and their fingerprint (None when the exports are gone
        and the newest stored month answers: it has no fingerprint to compare)."""
        folder = self.workspace.inputs_folder(self.name)
        if not any(path.is_file() for path in folder.rglob("*")):
            # The exports were archived or deleted after the month was run: the stored month
            # still answers (the import files, a past month's review), and says so.
            kept = store.newest_inputs_id(self.workspace, self.name)
            if kept is not None:
                stored_id, written = kept
                self.changes = [
                    f"the exports of {self.name} are no longer in {folder}: using the month "
                    f"as stored on {written}"
                ]
                return stored_id, None
        fingerprint = store.inputs_fingerprint(self.workspace, self.name)
        return store.fingerprint_id(fingerprint), fingerprint

    def _inputs(
        self, current: tuple[str, dict[str, object] | None] | None = None
    ) -> tuple[str, Inputs]:
        """The inputs and their id; ``current`` is :meth:`_current_id` when the caller has it."""
        inputs_id, fingerprint = current or self._current_id()
        if inputs_id in _INPUTS:
            # The same files elsewhere (a copied workspace) have the same id: store them there too.
            _INPUTS.move_to_end(inputs_id)
            if fingerprint is not None:
                store.save_inputs(
                    self.workspace, self.name, _INPUTS[inputs_id], fingerprint, _LINKS[inputs_id]
                )
            return inputs_id, _INPUTS[inputs_id]
        stored = store.load_inputs(self.workspace, self.name, inputs_id)
        links = store.load_links(self.workspace, self.name, inputs_id)
        if stored is None or (links is None and fingerprint is not None):
            self.changes = store.changes_since(self.workspace, self.name, fingerprint)
            stored = read_period_inputs(self.workspace, self.name)
            links = period_links(self.workspace, stored)
            store.save_inputs(self.workspace, self.name, stored, fingerprint, links)
        _INPUTS[inputs_id] = stored
        # A month stored without its links and whose exports are gone suggests by name only.
        _LINKS[inputs_id] = no_links() if links is None else links
        while len(_INPUTS) > 2:
            _LINKS.pop(_INPUTS.popitem(last=False)[0], None)
        return inputs_id, stored

    def customer_links(self) -> pd.DataFrame:
        """The identifiers the month's vendor customers share across vendors
        (:mod:`workbench.customer_links`), stored with the month's inputs."""
        inputs_id, _ = self._inputs()
        return _LINKS[inputs_id]

    def result_folder(self) -> Path:
        """Where the month's reconciliation is stored (made and stored first if needed).

        A stored reconciliation answers without its inputs being read: only their fingerprint
        (file checksums, settings, version) is worked out.
        """
        current = self._current_id()
        inputs_id, fingerprint = current
        made_from = store.result_fingerprint(self.workspace, inputs_id)
        folder = store.result_folder(self.workspace, self.name, made_from)
        if not store.is_stored(folder):
            _, inputs = self._inputs(current)
            if not self.changes:
                self.changes = store.changes_since(self.workspace, self.name, fingerprint)
            result = reconcile(
                inputs,
                Mappings.read(self.workspace.mappings_file),
                period=self.name,
                currency=self.workspace.currency,
                links=_LINKS[inputs_id],
            )
            store.save_result(result, folder, made_from)
        return folder

    def result(self) -> Reconciliation:
        """The month's reconciliation, from the store when it is current."""
        return store.load_result_once(self.result_folder())

    def client(self, wanted: str | int) -> tuple[str, str]:
        """A client's ``(company_id, company_name)``, by :func:`pick_client`'s rule."""
        return pick_client(self.result().clients, wanted, self.name)


def pick_client(clients: pd.DataFrame, wanted: str | int, period: str) -> tuple[str, str]:
    """A client's ``(company_id, company_name)`` by its PSA company id or its name.

    One rule for every face: the id exactly, else the name with case and surrounding spaces
    ignored (papermill's ``-p client 29600100`` arrives as a number).
    """
    text = str(wanted).strip()
    picked = clients[clients["company_id"] == text]
    if picked.empty:
        picked = clients[clients["company_name"].str.strip().str.casefold() == text.casefold()]
    if picked.empty:
        sample = ", ".join(clients["company_name"].head(5))
        raise WorkbenchError(
            f"no client {text!r} in {period}: give a PSA company id or name, such as {sample}"
        )
    return str(picked.iloc[0]["company_id"]), str(picked.iloc[0]["company_name"])
