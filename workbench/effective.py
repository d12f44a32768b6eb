"""Effective dates: from when an approved change is billed, and at what price in its first period.

A workspace says how it bills in ``workspace.toml``::

    [billing]
    timing = "advance"   # or "arrears"
    prorate = false      # or true

The date a change is owed from (its *start*):

* with ``prorate = true`` and a vendor change date inside the period (a Partner Center
  ``addQuantity`` charge starting on the 15th, a Pax8 prorated line), that date: the client
  pays for the days it had the seats;
* otherwise, billing in **advance**, the first day of the next period (this period's invoice has
  gone out at the old quantity);
* otherwise, billing in **arrears**, the first day of the period (its invoice is still to come,
  so it bills the new quantity for the whole period).

Each PSA applies the start its own way. **Autotask** changes a recurring service's units from
the next period and bills the rest of the change's own period once, at the adjustment's
``adjustedUnitPrice``: a change starting mid-period gets the unit price prorated to the days
left (day of the change to the period's last day, over the days in the period), one on a first
day the full price. **ConnectWise** applies an agreement addition immediately from its
``effectiveDate`` and prorates the first period itself, so it always gets the full unit price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

import pandas as pd

from workbench.money import to_cents
from workbench.result import Reconciliation
from workbench.workspace import BillingSettings, Timing, Workspace, period_bounds


class PsaRule(StrEnum):
    """How a PSA applies a quantity change."""

    NEXT_PERIOD = "next period"  # units recur from the next period; the rest of this one once
    IMMEDIATELY = "immediately"  # from the effective date, the PSA prorating the first period


#: Each PSA the import files are written for, and its rule.
PSA_RULES = {"autotask": PsaRule.NEXT_PERIOD, "connectwise": PsaRule.IMMEDIATELY}


@dataclass(frozen=True)
class EffectiveDate:
    """When a change is billed from, and the share of its first period's price it bears.

    Attributes
    ----------
    starts
        The day the change takes effect in the PSA (its ``effectiveDate``).
    share
        Days from ``starts`` to the end of its period over the days in that period (1 on a
        first day).
    change_date
        The vendor's change date it was prorated from, if any.
    """

    starts: date
    share: Fraction
    change_date: date | None = None

    def first_period_price(self, unit_price: Decimal, psa: str) -> Decimal:
        """The unit price the PSA should bill for the change's first period, to the cent.

        Autotask takes the adjustment's price as given, so it gets the prorated price;
        ConnectWise prorates itself and gets the full price.

        Parameters
        ----------
        unit_price
            The contract's unit price (or unit cost).
        psa
            The PSA the price is written for.

        Returns
        -------
        Decimal
            The price, rounded to the cent half away from zero.
        """
        if psa_rule(psa) is PsaRule.NEXT_PERIOD:
            return to_cents(unit_price * self.share.numerator / self.share.denominator)
        return to_cents(unit_price)


def psa_rule(psa: str) -> PsaRule:
    """How a PSA applies a quantity change.

    Parameters
    ----------
    psa
        The PSA's key, as the contract lines' ``psa`` (``autotask``, ``connectwise``).

    Returns
    -------
    PsaRule
        Next period (Autotask) or immediately (ConnectWise).

    Raises
    ------
    ValueError
        For a PSA no import file is written for.
    """
    try:
        return PSA_RULES[psa]
    except KeyError:
        known = ", ".join(sorted(PSA_RULES))
        raise ValueError(f"no import rule for PSA {psa!r} (known: {known})") from None


def effective_date(
    period: str, billing: BillingSettings, change_date: date | None = None
) -> EffectiveDate:
    """When a change found in ``period`` is billed from.

    Parameters
    ----------
    period
        The period reviewed, ``YYYY-MM``.
    billing
        The workspace's billing settings.
    change_date
        The vendor's change date, if the evidence has one; used only with proration and only
        when it falls after the first day of the period and on or before its last.

    Returns
    -------
    EffectiveDate
        The start and the share of its period's price.
    """
    first, last = period_bounds(period)
    days = (last - first).days + 1
    if billing.prorate and change_date is not None and first < change_date <= last:
        left = (last - change_date).days + 1
        return EffectiveDate(change_date, Fraction(left, days), change_date)
    if billing.timing is Timing.ARREARS:
        return EffectiveDate(first, Fraction(1))
    return EffectiveDate(last + timedelta(days=1), Fraction(1))


def vendor_change_dates(
    result: Reconciliation, workspace: Workspace, line_ids: Iterable[str] | None = None
) -> dict[str, date]:
    """The latest mid-period change date in each line's usage evidence.

    The canonical usage rows keep the day the vendor says their seats changed (Partner
    Center's ``ChargeStartDate``, Pax8's ``startPeriod``); they are the period's stored inputs
    (:class:`~workbench.period.Period`), so no export is opened again. A date counts when it
    falls after the period's first day and on or before its last.

    Parameters
    ----------
    result
        The reconciliation.
    workspace
        The workspace whose period holds the usage rows its evidence names.
    line_ids
        Only these lines (default: all).

    Returns
    -------
    dict
        ``line_id`` -> change date, for the lines that have one.
    """
    from workbench.period import Period

    first, last = period_bounds(result.period)
    evidence = result.evidence[result.evidence["side"] == "used"]
    if line_ids is not None:
        evidence = evidence[evidence["line_id"].isin(set(line_ids))]
    usage = Period(workspace, result.period).inputs().usage
    dated = usage[usage["change_date"] != ""]
    starts = {
        (str(source_file), int(row)): date.fromisoformat(str(day))
        for source_file, row, day in zip(
            dated["source_file"], dated["source_row"], dated["change_date"], strict=True
        )
    }
    found: dict[str, date] = {}
    for line_id, source_file, row in zip(
        evidence["line_id"], evidence["source_file"], evidence["source_row"], strict=True
    ):
        start = starts.get((str(source_file), int(row)))
        if start is not None and first < start <= last:
            found[line_id] = max(start, found.get(line_id, start))
    return found


def effective_dates(
    result: Reconciliation, workspace: Workspace, line_ids: Iterable[str]
) -> pd.DataFrame:
    """Effective dates of the given lines of a reconciliation, by the workspace's billing.

    Returns
    -------
    pandas.DataFrame
        ``line_id, change_date, starts, share`` in the order given; ``change_date`` is the
        vendor's (None without one), ``share`` a :class:`~fractions.Fraction`.
    """
    wanted, billing = list(line_ids), workspace.billing
    changes = vendor_change_dates(result, workspace, wanted) if billing.prorate else {}
    rows = []
    for line_id in wanted:
        effective = effective_date(result.period, billing, changes.get(line_id))
        rows.append(
            {
                "line_id": line_id,
                "change_date": effective.change_date,
                "starts": effective.starts,
                "share": effective.share,
            }
        )
    return pd.DataFrame(rows, columns=["line_id", "change_date", "starts", "share"])
