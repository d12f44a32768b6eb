"""Exact money.

Amounts are :class:`decimal.Decimal` values, never floats. Each line is rounded to the cent once,
half away from zero as invoices do, and totals are sums of rounded lines, so a total always equals
the sum of the lines it shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: A share is shown to a tenth of a percent.
_TENTH_OF_A_PERCENT = Decimal("0.001")
#: What a share of nothing shows.
NO_SHARE = "\u2014"


def parse_amount(text: str) -> Decimal:
    """Read an amount written as plain text ("1234.5", "-3.00", "1,234.50").

    Raises
    ------
    ValueError
        If the text is not a number.
    """
    cleaned = text.strip().replace(",", "")
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return value


def to_cents(value: Decimal | Fraction | int) -> Decimal:
    """Round an exact value to the cent, half away from zero."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def total(amounts: Iterable[Decimal]) -> Decimal:
    """Sum amounts exactly (starting from 0.00 so an empty total still shows cents)."""
    return sum(amounts, ZERO)


def format_money(value: Decimal, currency: str = "USD") -> str:
    """Format for people: ``$1,234.50`` / ``-$12.00``; other currencies get their code."""
    sign = "-" if value < 0 else ""
    body = f"{abs(to_cents(value)):,.2f}"
    if currency == "USD":
        return f"{sign}${body}"
    return f"{sign}{body} {currency}"


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """The share ``part / whole`` rounded down to a tenth of a percent (``0.816`` for 81.6%).

    The one rounding rule of every share shown (the dashboard's coverage tile, the workbooks'
    Summary, the notebooks): rounded down, so anything short of all never reads as 100%.
    None when the whole is zero.
    """
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_TENTH_OF_A_PERCENT, rounding=ROUND_DOWN)


def format_share(part: Decimal, whole: Decimal) -> str:
    """A share as people read it: ``81.6%``, ``100%``, ``<0.1%`` for a sliver, a dash of
    nothing (the rule of :func:`share`)."""
    shown = share(part, whole)
    if shown is None:
        return NO_SHARE
    percent = shown * 100
    if percent == 0 and part:
        return "<0.1%"
    if percent == percent.to_integral_value():
        return f"{percent:.0f}%"
    return f"{percent:.1f}%"
