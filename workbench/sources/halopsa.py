"""HaloPSA recurring invoice lines.

Each line (``item_shortdescription, item_longdescription, item_id, qty_order, unit_price,
unit_cost, net_amount``) becomes one contract line billing ``qty_order`` units of ``item_id``.
``net_amount`` identifies the layout but is not read: the reconciliation prices quantity times
unit price itself.

The client is named by ``client_name`` (or ``client``); when ``client_id`` is present it is the
company id, otherwise the client's name is. The recurring invoice is ``invoice_id``, else
``ihid`` (Halo's invoice header id on a line), else ``id``: next to ``ihid``, ``id`` is the
line's own id, so it counts as the invoice id only when neither other column exists. Without
any invoice id a client's lines are taken as one recurring invoice, keyed by the client.

Descriptions may carry Halo's ``$``-prefixed date tokens (``$MONTH $YEAR``,
``$STARTDATE-$ENDDATE``), filled in on each invoice; they are cut out of the service name so a
service reads the same every month.
"""

from __future__ import annotations

import re

import pandas as pd

from workbench.sources import contract_lines, reading
from workbench.sources.formats import Format, ReadContext
from workbench.sources.reading import RawTable

PSA = "halopsa"

_SEPARATORS = "-\u2013\u2014/:,|"
_TOKEN = r"\$[A-Za-z][A-Za-z0-9_]*"
#: A run of tokens with what joins them: ``$STARTDATE-$ENDDATE``, ``$MONTH $YEAR``, ``$A to $B``.
_TOKEN_RUN = re.compile(rf"{_TOKEN}(?:\s*(?:[{_SEPARATORS}]|\bto\b)?\s*{_TOKEN})*")
_EMPTY_BRACKETS = re.compile(rf"[(\[{{]\s*[{_SEPARATORS}\s]*[)\]}}]")
_LOOSE_ENDS = re.compile(rf"^[{_SEPARATORS}\s]+|[{_SEPARATORS}\s]+$")

#: Free-text lines carry no item; Halo writes 0 or nothing in ``item_id``.
_NO_ITEM = {"", "0"}


def without_date_tokens(description: str) -> str:
    """A description with Halo's ``$`` date tokens cut out, and the punctuation around them.

    ``"Backup ($STARTDATE-$ENDDATE)"`` -> ``"Backup"``; ``"$25 setup"`` is left alone, since a
    token starts with a letter.
    """
    text = _TOKEN_RUN.sub(" ", description)
    text = _EMPTY_BRACKETS.sub(" ", text)
    return _LOOSE_ENDS.sub("", re.sub(r"\s+", " ", text))


def read_invoice_lines(table: RawTable, context: ReadContext) -> pd.DataFrame:
    """Recurring invoice lines as contract lines, one per row.

    ``contract_service_id`` is ``"{invoice}|{item id}|{row}"``: a line's own id is not in every
    export, and one invoice may bill the same item on two lines.
    """
    blank = reading.blank_rows(table)
    client = contract_lines.required_texts(
        table, reading.column(table, "client_name", "client"), blank, "the client's name"
    )
    client_id_column = reading.optional_column(table, "client_id")
    company_id = (
        contract_lines.required_texts(table, client_id_column, blank, "the client's id")
        if client_id_column
        else client
    )
    invoice_column = reading.optional_column(table, "invoice_id", "ihid", "id")
    invoice = (
        contract_lines.required_texts(table, invoice_column, blank, "the recurring invoice's id")
        if invoice_column
        else company_id
    )
    short_description = reading.texts(table, reading.column(table, "item_shortdescription"))
    long_description = reading.texts(table, reading.column(table, "item_longdescription"))
    item = reading.texts(table, reading.column(table, "item_id"))
    quantity = contract_lines.units(table, reading.column(table, "qty_order"), blank)
    unit_price = contract_lines.money(
        table, reading.column(table, "unit_price"), blank, required=True
    )
    unit_cost = contract_lines.money(
        table, reading.column(table, "unit_cost"), blank, required=False
    )

    # A line is known by its own id (``id`` beside ``ihid``). Without it, only a line repeated
    # whole is known to be the same line: one invoice may bill an item on two lines alike but
    # for their quantity.
    line_id = reading.optional_column(table, "id") if invoice_column != "id" else None
    keys = (
        reading.texts(table, line_id)
        if line_id
        else reading.record_keys(
            invoice, item, short_description, long_description, quantity, unit_price, unit_cost
        )
    )

    records: list[dict[str, object]] = []
    for position in range(len(table.frame)):
        if blank[position]:
            reason = "blank row"
        elif item[position] in _NO_ITEM:
            reason = "a free-text line with no item: nothing to reconcile it against"
        else:
            reason = ""
        service_name = (
            without_date_tokens(short_description[position])
            or without_date_tokens(long_description[position])
            or item[position]
        )
        records.append(
            {
                **reading.provenance(table, context.source_file, position, reason, keys[position]),
                "psa": PSA,
                "company_id": company_id[position],
                "company_name": client[position],
                "contract_id": invoice[position],
                "contract_name": f"Recurring invoice {invoice[position]}"
                if invoice_column and invoice[position]
                else "Recurring invoice",
                "contract_service_id": (
                    f"{invoice[position]}|{item[position]}|{table.row_number(position)}"
                ),
                "service_id": item[position],
                "service_name": service_name,
                "quantity": quantity[position],
                "unit_price": unit_price[position],
                "unit_cost": unit_cost[position],
            }
        )
    return contract_lines.lines_frame(records)


RECURRING_INVOICE_LINES = Format(
    key="halopsa-recurring-invoice-lines",
    title="HaloPSA recurring invoice lines",
    side="contract",
    signature=(
        "item_shortdescription",
        "item_longdescription",
        "item_id",
        "qty_order",
        "unit_price",
        "unit_cost",
        "net_amount",
    ),
    read=read_invoice_lines,
)
FORMATS = (RECURRING_INVOICE_LINES,)
