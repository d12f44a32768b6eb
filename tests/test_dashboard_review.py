"""The dashboard's review: decisions saved in the ledger at once, and what the page shows of them.

Every test works on a copy of the demo workspace (13 discrepancies and 1 bundle gap in 2026-10,
so 14 lines need a decision; see ``tests/test_ledger.py`` for their order by money at stake).
Lines are picked from the ledger's own review of that copy, never typed in by name. The widget
tests click the real buttons in this process, without logins (a name in *Reviewer*) or as a
login given to the app; the browser tests sign in to the real server (``workbench dashboard``
with the team's users file, see ``tests/conftest.py``) in headless Chromium and then read
``ledger.sqlite`` and the downloaded workbook from disk.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import getpass
import html
import io
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from tests.conftest import BUNDLE_GAPS, DEMO, DISCREPANCIES, PERIOD, Dashboard
from tests.test_dashboard import (
    _flatten,
    _screenshot,
    sign_in,
)
from tests.test_excel import CSV_EVERY_SHEET, libreoffice_convert
from workbench.cli import main
from workbench.dashboard import build_dashboard, workbook_with_decisions
from workbench.dashboard.review import (
    DECISION_ROW_CLASS,
    DECISIONS_MESSAGE_CLASS,
    PAGE_SIZE,
    approval_words,
    filter_review,
    line_at_stake,
    line_facts,
    parse_minimum,
    review_counts,
    time_words,
    to_decide_words,
)
from workbench.errors import WorkbenchError
from workbench.ledger import REVIEW_STATUSES, Decision, Ledger, ledger_path
from workbench.logins import Login
from workbench.result import Reconciliation, Status
from workbench.views import client_trend, open_client, trend_of
from workbench.workspace import Workspace, reconcile_workspace

TO_REVIEW = DISCREPANCIES + BUNDLE_GAPS  # 14
REVIEWER = "Dana Reviewer"
DANA = Login("dana", frozenset({"reviewer", "mapper"}))
VERA = Login("vera", frozenset({"viewer"}))


@pytest.fixture
def review(tmp_path: Path, demo_result: Reconciliation) -> pd.DataFrame:
    """The demo month's review from an empty ledger: every line pending."""
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        return ledger.review(demo_result)


def _with_class(app: Any, css_class: str) -> list[Any]:
    return [w for w in _flatten(app) if css_class in getattr(w, "_dom_classes", ())]


def _facts(row: Any) -> str:
    """The HTML of a review row's line (its checkbox comes first, then facts and controls)."""
    return str(row.children[1].children[0].value)


def _row(app: Any, line_id: str) -> Any:
    rows = [
        row
        for row in _with_class(app, "wb-decision-row")
        if f'data-line-id="{html.escape(line_id)}"' in _facts(row)
    ]
    assert len(rows) == 1, f"{len(rows)} rows for {line_id}"
    return rows[0]


def _click(app: Any, css_class: str) -> None:
    buttons = _with_class(app, css_class)
    assert len(buttons) == 1, f"{len(buttons)} buttons {css_class}"
    buttons[0].click()


def _message(app: Any) -> str:
    return html.unescape(str(_with_class(app, DECISIONS_MESSAGE_CLASS)[0].value))


def _shown_ids(app: Any) -> list[str]:
    return [
        html.unescape(_facts(row).split('data-line-id="')[1].split('"')[0])
        for row in _with_class(app, "wb-decision-row")
    ]


def _decisions(workspace: Path) -> dict[str, tuple[str, Decimal | None, str, str]]:
    with Ledger.open(workspace / "ledger.sqlite") as ledger:
        return {
            line_id: (str(act.decision), act.quantity, act.note, act.who)
            for line_id, act in ledger.decisions(PERIOD).items()
        }


def _workbook_decisions(content: bytes) -> dict[str, tuple[Any, Any, Any]]:
    """Line ID -> (Decision, Adjusted qty, Note) of every Review row with one."""
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Review"]
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[0])
    at = {name: headers.index(name) for name in ("Line ID", "Decision", "Adjusted qty", "Note")}
    return {
        str(row[at["Line ID"]]): (row[at["Decision"]], row[at["Adjusted qty"]], row[at["Note"]])
        for row in rows[1:]
        if row[at["Line ID"]] and row[at["Decision"]]
    }


# --- the review frame, without widgets ----------------------------------------------------


def test_filters_keep_a_status_a_state_and_a_minimum_money_at_stake(
    review: pd.DataFrame,
) -> None:
    stakes = [line_at_stake(line) for line in review.to_dict("records")]
    assert len(review) == TO_REVIEW
    assert stakes == sorted(stakes, reverse=True)

    at_least_50 = filter_review(review, minimum=Decimal(50))
    under = filter_review(review, status=Status.UNDER_BILLED)
    under_from_10 = filter_review(review, status=Status.UNDER_BILLED, minimum=Decimal(10))

    # 190.00, 135.00, 135.00, 79.20, 65.00, 52.80 (48.00 is next)
    assert [str(line_at_stake(line)) for line in at_least_50.to_dict("records")] == [
        "190.00",
        "135.00",
        "135.00",
        "79.20",
        "65.00",
        "52.80",
    ]
    # Zephyr's line on its contract at 0 units is the seventh, at 4.00.
    assert len(under) == 7 and set(under["status"]) == {Status.UNDER_BILLED}
    assert list(under["line_id"])[-1] == "29600268:29683408"
    # Yardley's 9.00 and Zephyr's 4.00 are out.
    assert list(under_from_10["line_id"]) == list(under["line_id"])[:5]
    assert filter_review(review, state="decided").empty
    assert list(filter_review(review, state="pending")["line_id"]) == list(review["line_id"])
    assert review_counts(review) == {"pending": TO_REVIEW, "decided": 0, "changed": 0}


def test_minimum_money_is_read_as_people_write_it() -> None:
    assert parse_minimum("") == Decimal(0)
    assert parse_minimum(" 1,000 ") == Decimal(1000)
    assert parse_minimum("$52.80") == Decimal("52.80")
    for wrong in ("ten", "-5", "NaN"):
        with pytest.raises(WorkbenchError, match="is not an amount: write a number such as 50"):
            parse_minimum(wrong)


def test_a_line_shows_its_numbers_and_its_decision(
    tmp_path: Path, demo_result: Reconciliation
) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        first = ledger.review(demo_result).iloc[0]
        ledger.decide(
            PERIOD, first, Decision.ADJUST, quantity="33", note="<one leaver>", who="Dana"
        )
        decided = ledger.review(demo_result).iloc[0]

    pending = line_facts(first)
    shown = line_facts(decided)

    assert f'data-line-id="{first["line_id"]}" data-state="pending"' in pending
    assert ">Pending<" in pending and "billed 32 \u00b7 used 34 \u00b7 +$190.00 / month" in pending
    assert 'data-state="decided"' in shown
    assert "Adjusted to 33 by Dana on " in shown
    assert "&lt;one leaver&gt;" in shown and "<one leaver>" not in shown  # escaped
    # What approving it bills: 34 of the bundle at its price.
    assert (
        "Approve bills 34 \u00d7 Gold managed user bundle at $95.00 = $3,230.00 / month (billed "
        "now: 32, $3,040.00)." in pending
    )


def test_a_bundle_finding_says_approving_it_bills_nothing(demo_result: Reconciliation) -> None:
    """Quarry Hill's bundle gap counts 31 learners for 34 bundle units: approving it bills
    nothing (no contract line changes), so no quantity is offered to bill."""
    with Ledger.open(Path(":memory:")) as ledger:
        review = ledger.review(demo_result)
    gap = review[review["status"] == "bundle gap"].iloc[0]
    assert approval_words(gap) == (
        "Approve records that you saw this finding: it bills nothing, as no contract line "
        "changes. Deliver what is missing, or review the bundle."
    )
    assert "Approve bills" not in line_facts(gap)


def test_where_the_review_stands_agrees_with_its_numbers(demo_result: Reconciliation) -> None:
    with Ledger.open(Path(":memory:")) as ledger:
        review = ledger.review(demo_result)
        assert to_decide_words(review) == (
            f"{TO_REVIEW} lines need a decision ({TO_REVIEW} pending, 0 changed since decided); "
            f"0 of {TO_REVIEW} decided."
        )
        ledger.decide_many(PERIOD, review.iloc[1:].to_dict("records"), "approve", who="dana")
        one_left = ledger.review(demo_result)
        assert to_decide_words(one_left) == (
            f"1 line needs a decision (1 pending, 0 changed since decided); {TO_REVIEW - 1} of "
            f"{TO_REVIEW} decided."
        )
        ledger.decide(PERIOD, review.iloc[0], "dismiss", who="dana")
        assert to_decide_words(ledger.review(demo_result)) == (
            f"Every line is decided ({TO_REVIEW} lines)."
        )
    assert to_decide_words(review.iloc[0:0]) == "No line needs a decision."


def test_times_are_shown_in_the_local_time_zone_beside_utc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        assert time_words("2026-11-29T12:04:31+00:00") == "2026-11-29 13:04 CET (12:04 UTC)"
        assert time_words("2026-07-01T12:04:31+00:00") == "2026-07-01 14:04 CEST (12:04 UTC)"
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
        assert time_words("2026-11-29T12:04:31+00:00") == "2026-11-29 12:04 UTC"
    finally:
        monkeypatch.undo()
        time.tzset()
    assert time_words("yesterday") == "yesterday"


def test_a_line_that_moved_since_its_decision_says_what_was_decided(
    tmp_path: Path, demo_result: Reconciliation
) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        first = ledger.review(demo_result).iloc[0]
        ledger.decide(PERIOD, first, Decision.APPROVE, who="Dana")
        lines = demo_result.lines.copy()
        moved = lines["line_id"] == first["line_id"]
        lines.loc[moved, "billed_quantity"] = 33  # the contract changed since
        review = ledger.review(dataclasses.replace(demo_result, lines=lines))

    changed = review[review["line_id"] == first["line_id"]].iloc[0]
    shown = line_facts(changed)

    assert review_counts(review) == {"pending": TO_REVIEW - 1, "decided": 0, "changed": 1}
    assert 'data-state="changed"' in shown and ">Changed since decided<" in shown
    assert "The line moved since it was decided. Was: Approved by Dana on " in shown


# --- the widgets, clicked in this process --------------------------------------------------


def test_the_review_lists_the_ledgers_lines_and_saves_each_click(workspace: Path) -> None:
    app = build_dashboard(workspace)
    assert not (workspace / "ledger.sqlite").exists()  # looking creates no ledger
    result = reconcile_workspace(workspace, PERIOD)
    with Ledger.open(ledger_path(Workspace.open(workspace))) as ledger:
        order = list(ledger.review(result)["line_id"])
    assert _with_class(app, "wb-reviewer")[0].value == getpass.getuser()  # the default
    _with_class(app, "wb-reviewer")[0].value = REVIEWER
    assert _shown_ids(app) == order[:PAGE_SIZE]
    first, second = order[0], order[1]

    _click(_row(app, first), "wb-approve")
    approved = _message(app)
    quantity = _with_class(_row(app, second), "wb-decision-quantity")[0]
    note = _with_class(_row(app, second), "wb-decision-note")[0]
    note.value = '=HYPERLINK("x") two leavers'
    _click(_row(app, second), "wb-adjust")  # no quantity yet
    refused = _message(app)
    quantity.value = "41"
    _click(_row(app, second), "wb-adjust")

    assert 'wb-tone-good">Approved ' in approved
    assert f"; saved in ledger.sqlite as {REVIEWER}." in approved
    assert "Not saved." in refused and "an adjustment needs the quantity to bill" in refused
    assert " to 41; saved in ledger.sqlite" in _message(app)
    assert _decisions(workspace) == {
        first: ("approve", None, "", REVIEWER),
        second: ("adjust", Decimal(41), '=HYPERLINK("x") two leavers', REVIEWER),
    }
    heading = _with_class(app, "wb-decisions")[0].children[0].value
    assert (
        f"{TO_REVIEW - 2} lines need a decision ({TO_REVIEW - 2} pending, 0 changed since "
        f"decided); 2 of {TO_REVIEW} decided." in heading
    )
    assert "<h3>Review \u2014 All clients, October 2026</h3>" in heading
    assert 'data-state="decided"' in _facts(_row(app, second))


def test_bulk_decisions_of_the_ticked_lines_and_of_all_filtered(workspace: Path) -> None:
    app = build_dashboard(workspace)
    _with_class(app, "wb-reviewer")[0].value = REVIEWER
    shown = _shown_ids(app)
    ticked = [shown[3], shown[5]]
    for line_id in ticked:
        _with_class(_row(app, line_id), "wb-decision-select")[0].value = True
    _with_class(app, "wb-bulk-note")[0].value = "customer confirmed"

    _click(app, "wb-dismiss-selected")
    asked_ticked = _question(app)
    _click(app, "wb-confirm-pending")
    _with_class(app, "wb-filter-status")[0].value = str(Status.UNDER_BILLED)
    _with_class(app, "wb-filter-minimum")[0].value = "10"
    _with_class(app, "wb-filter-state")[0].value = "pending"
    filtered = _shown_ids(app)
    _click(app, "wb-approve-filtered")
    asked_filtered = _question(app)
    _click(app, "wb-confirm-pending")

    result = reconcile_workspace(workspace, PERIOD)
    with Ledger.open(workspace / "ledger.sqlite") as ledger:
        review = ledger.review(result)
    expected_filtered = filter_review(
        review[~review["line_id"].isin(ticked)], status=Status.UNDER_BILLED, minimum=Decimal(10)
    )
    assert filtered == list(expected_filtered["line_id"])
    # Under-billed from 10.00: Quarry Hill, Foxglove, Willow Creek, Riverbend (Acme, the 6th
    # line, was dismissed; Yardley's 9.00 is under the minimum).
    assert len(filtered) == 4 and shown[5] == "29600100:29683404"
    assert _decisions(workspace) == {
        **{line_id: ("dismiss", None, "customer confirmed", REVIEWER) for line_id in ticked},
        **{line_id: ("approve", None, "customer confirmed", REVIEWER) for line_id in filtered},
    }
    assert "Approved 4 lines; saved in ledger.sqlite" in _message(app)
    assert _shown_ids(app) == []  # nothing under-billed from 10.00 is pending any more
    assert not any(box.value for box in _with_class(app, "wb-decision-select"))
    assert "Dismiss the 2 pending lines of the 2 lines ticked?" in asked_ticked
    assert "Approve the 4 pending lines of the 4 lines the filters keep?" in asked_filtered
    assert "already decided" not in asked_filtered


def _question(app: Any) -> str:
    """The bulk question's words as the page shows them; empty while none is asked."""
    box = _with_class(app, "wb-bulk-confirm")[0]
    if box.layout.display == "none":
        return ""
    return html.unescape(re.sub(r"<[^>]+>", "", _with_class(app, "wb-bulk-question")[0].value))


def _button(app: Any, css_class: str) -> Any:
    buttons = _with_class(app, css_class)
    assert len(buttons) == 1, f"{len(buttons)} buttons {css_class}"
    return buttons[0]


def test_bulk_actions_ask_first_and_leave_decided_lines_alone_by_default(
    workspace: Path,
) -> None:
    app = build_dashboard(workspace)
    _with_class(app, "wb-reviewer")[0].value = REVIEWER
    order = _shown_ids(app)
    approved, dismissed = order[0], order[1]
    _click(_row(app, approved), "wb-approve")
    _with_class(_row(app, dismissed), "wb-decision-note")[0].value = "customer asked"
    _click(_row(app, dismissed), "wb-dismiss")
    assert _button(app, "wb-approve-filtered").description == (
        f"Approve {TO_REVIEW - 2} pending filtered\u2026"
    )

    _click(app, "wb-approve-filtered")  # under "Every state": all 14 lines
    question = _question(app)
    asked = _decisions(workspace)
    labels = (
        _button(app, "wb-confirm-pending").description,
        _button(app, "wb-confirm-overwrite").description,
    )
    _click(app, "wb-cancel-bulk")
    cancelled = (_question(app), _decisions(workspace))
    _click(app, "wb-approve-filtered")
    _click(app, "wb-confirm-pending")

    assert question == (
        f"Deciding together. Approve the {TO_REVIEW - 2} pending lines of the {TO_REVIEW} "
        "lines the filters keep? 2 lines already decided (2 decided, 0 changed since decided) "
        "keep their decisions unless you choose to overwrite them."
    )
    assert labels == (
        f"Approve {TO_REVIEW - 2} pending lines",
        f"Approve all {TO_REVIEW}, overwriting 2 decisions",
    )
    assert asked == {
        approved: ("approve", None, "", REVIEWER),
        dismissed: ("dismiss", None, "customer asked", REVIEWER),
    }  # nothing is saved by asking
    assert cancelled == ("", asked)
    decided = _decisions(workspace)
    assert len(decided) == TO_REVIEW
    assert decided[dismissed] == ("dismiss", None, "customer asked", REVIEWER)  # left alone
    assert {line_id: act[0] for line_id, act in decided.items() if line_id != dismissed} == {
        line_id: "approve" for line_id in order if line_id != dismissed
    }
    assert f"Approved {TO_REVIEW - 2} lines; saved in ledger.sqlite" in _message(app)


def test_overwriting_decided_lines_is_the_persons_choice(workspace: Path) -> None:
    app = build_dashboard(workspace)
    _with_class(app, "wb-reviewer")[0].value = REVIEWER
    _with_class(app, "wb-filter-state")[0].value = "pending"
    _with_class(app, "wb-filter-status")[0].value = str(Status.OVER_BILLED)
    over_billed = _shown_ids(app)
    _click(_row(app, over_billed[0]), "wb-approve")
    _with_class(app, "wb-filter-state")[0].value = ""

    _click(app, "wb-dismiss-filtered")
    question = _question(app)
    _click(app, "wb-confirm-overwrite")

    assert len(over_billed) == 2  # Bluewater and Ironwood
    assert question.startswith(
        "Deciding together. Dismiss the 1 pending line of the 2 lines the filters keep? 1 line "
        "already decided (1 decided, 0 changed since decided)"
    )
    assert _decisions(workspace) == {
        line_id: ("dismiss", None, "", REVIEWER) for line_id in over_billed
    }
    with Ledger.open(workspace / "ledger.sqlite") as ledger:
        kept = [str(act.decision) for act in ledger.history(PERIOD, over_billed[0])]
    assert kept == ["approve", "dismiss"]  # the overwritten decision stays in the history


def test_a_line_decided_elsewhere_while_asking_keeps_that_decision(workspace: Path) -> None:
    app = build_dashboard(workspace)
    _with_class(app, "wb-reviewer")[0].value = REVIEWER
    order = _shown_ids(app)
    _click(app, "wb-approve-filtered")
    result = reconcile_workspace(workspace, PERIOD)
    line = result.lines[result.lines["line_id"] == order[3]].iloc[0]
    with Ledger.open(workspace / "ledger.sqlite") as other_tab:
        other_tab.decide(PERIOD, line, Decision.DISMISS, note="seen by Bob", who="Bob")

    _click(app, "wb-confirm-pending")

    decided = _decisions(workspace)
    assert decided[order[3]] == ("dismiss", None, "seen by Bob", "Bob")
    assert len(decided) == TO_REVIEW
    assert f"Approved {TO_REVIEW - 1} lines" in _message(app)


def test_with_a_login_the_login_decides_and_no_name_is_typed(workspace: Path) -> None:
    app = build_dashboard(workspace, login=DANA)
    first = _shown_ids(app)[0]

    _click(_row(app, first), "wb-approve")

    assert _with_class(app, "wb-reviewer") == []  # no free-text Reviewer
    assert "Deciding as <strong>dana</strong>" in _with_class(app, "wb-signed-in")[0].value
    title = next(
        value
        for value in (str(getattr(w, "value", "")) for w in _flatten(app))
        if 'class="wb-title"' in value
    )
    assert "signed in as dana (reviewer, mapper)" in title
    assert 'href="/logout">Sign out</a>' in title
    assert _decisions(workspace) == {first: ("approve", None, "", "dana")}
    assert "; saved in ledger.sqlite as dana." in _message(app)


def test_a_viewer_reads_the_review_but_no_click_decides(workspace: Path) -> None:
    app = build_dashboard(workspace, login=VERA)
    shown = _shown_ids(app)
    first = shown[0]
    controls = [
        box
        for box in _with_class(app, "wb-review-controls")
        if any("wb-approve" in getattr(w, "_dom_classes", ()) for w in _flatten(box))
    ]

    # The buttons are not shown; a click that reaches the kernel anyway is refused.
    _click(_row(app, first), "wb-approve")
    refused = _message(app)
    _click(_row(app, first), "wb-undo")
    _with_class(_row(app, first), "wb-decision-select")[0].value = True
    _click(app, "wb-approve-selected")
    _click(app, "wb-dismiss-filtered")

    assert len(shown) == TO_REVIEW  # reading is allowed
    assert controls and all(box.layout.display == "none" for box in controls)
    assert _with_class(app, "wb-decision-bulk")[0].layout.display == "none"
    assert refused == (
        '<div class="wb-banner wb-tone-bad"><strong>Not saved.</strong> vera (viewer) may read '
        "the review but not decide: that needs the reviewer role (an admin gives it with "
        "`workbench users roles vera --role reviewer`).</div>"
    )
    assert _message(app) == refused
    assert _question(app) == ""
    assert not (workspace / "ledger.sqlite").exists()


def test_undo_takes_a_line_back_to_pending_and_keeps_its_history(workspace: Path) -> None:
    app = build_dashboard(workspace)
    line_id = _shown_ids(app)[0]
    _with_class(app, "wb-reviewer")[0].value = REVIEWER
    _click(_row(app, line_id), "wb-dismiss")

    _click(_row(app, line_id), "wb-undo")

    assert "is pending again" in _message(app)
    assert _decisions(workspace) == {}
    with Ledger.open(workspace / "ledger.sqlite") as ledger:
        history = [str(act.decision) for act in ledger.history(PERIOD, line_id)]
    assert history == ["dismiss", "clear"]
    assert 'data-state="pending"' in _facts(_row(app, line_id))


def test_a_filter_reads_what_another_tab_decided_meanwhile(workspace: Path) -> None:
    app = build_dashboard(workspace)
    line_id = _shown_ids(app)[2]
    result = reconcile_workspace(workspace, PERIOD)
    line = result.lines[result.lines["line_id"] == line_id].iloc[0]
    with Ledger.open(workspace / "ledger.sqlite") as other_tab:
        other_tab.decide(PERIOD, line, Decision.DISMISS, note="seen by Bob", who="Bob")

    _with_class(app, "wb-filter-state")[0].value = "decided"

    assert _shown_ids(app) == [line_id]
    assert "Dismissed by Bob on " in _facts(_row(app, line_id))


def test_nothing_is_saved_without_a_reviewer_name_or_a_ticked_line(workspace: Path) -> None:
    app = build_dashboard(workspace)
    line_id = _shown_ids(app)[0]
    _with_class(app, "wb-reviewer")[0].value = "  "
    _click(_row(app, line_id), "wb-approve")
    no_name = _message(app)
    _with_class(app, "wb-reviewer")[0].value = REVIEWER
    _click(app, "wb-approve-selected")

    assert "Write your name in Reviewer" in no_name
    assert "Tick the lines first" in _message(app)
    assert _decisions(workspace) == {}


def test_a_file_that_is_not_a_ledger_is_a_message_not_a_traceback(workspace: Path) -> None:
    (workspace / "ledger.sqlite").write_bytes(b"not a database, just bytes" * 100)

    app = build_dashboard(workspace)

    assert "<strong>Cannot read the decisions.</strong>" in _message(app)
    assert "is not a decisions ledger" in _message(app)
    assert _shown_ids(app) == []
    tiles = _with_class(app, "wb-tiles")[0].children  # the rest of the page still works
    assert [str(tile.value).count('class="wb-tile ') for tile in tiles] == [1, 1, 1, 1]


def test_a_wrong_minimum_is_a_message_and_the_list_stays(workspace: Path) -> None:
    app = build_dashboard(workspace)
    before = _shown_ids(app)

    _with_class(app, "wb-filter-minimum")[0].value = "lots"

    assert "Filter not applied." in _message(app) and "'lots' is not an amount" in _message(app)
    assert _shown_ids(app) == before


def test_the_workbook_is_built_on_request_with_the_decisions(workspace: Path) -> None:
    app = build_dashboard(workspace)
    _with_class(app, "wb-reviewer")[0].value = REVIEWER
    first, second = _shown_ids(app)[:2]
    _with_class(_row(app, second), "wb-decision-quantity")[0].value = "41"
    _with_class(_row(app, second), "wb-decision-note")[0].value = "-1 leaver, +HR confirmed"
    _click(_row(app, second), "wb-adjust")
    link = _with_class(app, "wb-download-link")[0]
    assert 'class="wb-download"' not in link.value  # nothing is built before it is asked for

    _click(app, "wb-prepare-workbook")
    prepared = link.value
    _click(_row(app, first), "wb-approve")  # a decision after the workbook was built
    withdrawn = link.value
    _click(app, "wb-prepare-workbook")

    assert 'download="All clients - 2026-10.xlsx"' in prepared
    assert "A decision was saved since the last workbook" in withdrawn
    assert 'class="wb-download"' not in withdrawn
    content = base64.b64decode(link.value.split("base64,", 1)[1].split('"', 1)[0])
    assert _workbook_decisions(content) == {
        first: ("approve", None, None),
        second: ("adjust", 41, "-1 leaver, +HR confirmed"),
    }
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Review"]
    notes = [cell for cell in sheet["L"] if cell.value == "-1 leaver, +HR confirmed"]
    assert len(notes) == 1 and notes[0].data_type == "s" and notes[0].quotePrefix


def test_a_decision_before_any_workbook_withdraws_nothing(workspace: Path) -> None:
    """The note that a decision withdrew the workbook is said only when one was prepared."""
    app = build_dashboard(workspace)
    _with_class(app, "wb-reviewer")[0].value = REVIEWER
    _click(_row(app, _shown_ids(app)[0]), "wb-approve")
    link = _with_class(app, "wb-download-link")[0].value
    assert "A decision was saved" not in link
    assert "All clients - 2026-10.xlsx: built when you ask" in link


def test_the_downloaded_workbook_is_decided_in_excel_and_applied(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dashboard's workbook of one client, decided in its Review sheet as a person would
    in Excel, goes into the ledger with workbench apply; only that client's line is asked for."""
    app = build_dashboard(workspace)
    _with_class(app, "wb-client")[0].value = "29600107"  # Bluewater Logistics
    _click(app, "wb-prepare-workbook")
    link = _with_class(app, "wb-download-link")[0].value
    assert 'download="Bluewater Logistics - 2026-10.xlsx"' in link
    path = workspace / "Bluewater Logistics - 2026-10.xlsx"
    path.write_bytes(base64.b64decode(link.split("base64,", 1)[1].split('"', 1)[0]))
    book = openpyxl.load_workbook(path)
    review = book["Review"]
    assert [row[0] for row in review.iter_rows(min_row=2, values_only=True)] == [
        "29600107:29683401"
    ]
    review["J2"], review["K2"], review["L2"] = "adjust", 41, "2 retired, 1 on order"
    book.save(path)

    assert main(["apply", str(path), "--who", "dana"]) == 0
    assert capsys.readouterr().out == (
        "Bluewater Logistics - 2026-10.xlsx: 1 decision recorded for 2026-10 (1 adjust), "
        "0 lines back to pending, 0 rows unchanged.\n"
    )
    assert _decisions(workspace) == {
        "29600107:29683401": ("adjust", Decimal(41), "2 retired, 1 on order", "dana")
    }


def test_the_all_clients_workbook_has_every_line_and_the_evidence_of_lines_to_decide(
    demo_result: Reconciliation,
) -> None:
    def evidence_lines(book: openpyxl.Workbook) -> set[str]:
        sheet = book["Evidence"]
        column = [str(cell.value) for cell in sheet[1]].index("Line ID")
        return {str(row[column]) for row in sheet.iter_rows(min_row=2, values_only=True)}

    demo = Workspace.open(DEMO)
    whole = openpyxl.load_workbook(
        io.BytesIO(workbook_with_decisions(demo_result, demo, title="All clients"))
    )
    client_id = demo_result.clients["company_id"].iat[0]
    client = demo_result.for_client(client_id)
    own = openpyxl.load_workbook(io.BytesIO(workbook_with_decisions(client, demo, title="One")))

    to_decide = demo_result.lines[demo_result.lines["status"].isin(REVIEW_STATUSES)]
    assert whole["Lines"].max_row - 1 == len(demo_result.lines)
    assert evidence_lines(whole) == set(to_decide["line_id"])
    assert "Lines" not in own.sheetnames  # a client's workbook keeps all of its evidence
    assert evidence_lines(own) == set(client.evidence["line_id"].astype(str))
    # Each with the Review sheet of its own lines, and what workbench apply checks.
    assert len(whole["Review"]["A"]) - 1 == len(to_decide)
    assert [about[1] for about in own["About"].iter_rows(max_row=6, values_only=True)][5] == (
        client_id
    )


@pytest.mark.libreoffice
def test_libreoffice_reads_the_decisions_as_text(
    workspace: Path, tmp_path: Path, demo_result: Reconciliation
) -> None:
    with Ledger.open(workspace / "ledger.sqlite") as ledger:
        review = ledger.review(demo_result)
        first, second = review.iloc[0], review.iloc[1]
        ledger.decide(PERIOD, first, Decision.DISMISS, note="=1+1", who=REVIEWER)
        ledger.decide(PERIOD, second, Decision.ADJUST, quantity=41, note="@SUM(A1)", who=REVIEWER)
    book = tmp_path / "decided.xlsx"
    book.write_bytes(
        workbook_with_decisions(demo_result, Workspace.open(workspace), title="Decided")
    )

    libreoffice_convert([book], CSV_EVERY_SHEET, tmp_path / "csv")

    with (tmp_path / "csv" / "decided-Review.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    at = {name: rows[0].index(name) for name in ("Line ID", "Decision", "Adjusted qty", "Note")}
    decided = {
        row[at["Line ID"]]: (row[at["Decision"]], row[at["Adjusted qty"]], row[at["Note"]])
        for row in rows[1:]
        if row[at["Decision"]]
    }
    assert decided == {
        first["line_id"]: ("dismiss", "", "=1+1"),  # text, never computed to 2
        second["line_id"]: ("adjust", "41", "@SUM(A1)"),
    }


# --- the trend over past periods -----------------------------------------------------------


def _two_periods(result: Reconciliation) -> Reconciliation:
    """September as October, with Acme's Microsoft 365 billed for 2 seats fewer."""
    lines = result.lines.copy()
    acme = lines["line_id"] == "29600100:29683404"
    lines.loc[acme, "billed_quantity"] = int(lines.loc[acme, "billed_quantity"].iat[0]) - 2
    return dataclasses.replace(result, period="2026-09", lines=lines)


def test_the_trend_says_so_with_one_period_and_draws_from_two(
    workspace: Path, demo_result: Reconciliation
) -> None:
    opened = Workspace.open(workspace)
    nothing = client_trend(opened, "29600100", "Acme Dental Group")
    assert not (workspace / "ledger.sqlite").exists()  # looking creates no ledger
    with Ledger.open(ledger_path(opened)) as ledger:
        ledger.record_run(demo_result, inputs={}, who=REVIEWER)
    one = client_trend(opened, "29600100", "Acme Dental Group")
    with Ledger.open(ledger_path(opened)) as ledger:
        ledger.record_run(_two_periods(demo_result), inputs={}, who=REVIEWER)
        history = ledger.billed_vs_used("29600100")
    two = client_trend(opened, "29600100", "Acme Dental Group")

    assert nothing.png is None and nothing.periods == ()
    assert nothing.message.startswith("No runs of Acme Dental Group are recorded yet")
    assert one.png is None and one.periods == (PERIOD,)
    assert one.message == (
        "Only October 2026 is recorded for Acme Dental Group: the trend of billed against used "
        "shows once a second period has been run."
    )
    assert one._repr_html_() == f'<p class="tex2jax_ignore mathjax_ignore">{one.message}</p>'
    assert one._repr_png_() is None
    assert two.periods == ("2026-09", PERIOD) and two.message == ""
    assert (two.png or b"").startswith(b"\x89PNG")
    assert two._repr_html_() is None
    # A notebook's plain-text form of each: the sentence, or the chart named (not its bytes).
    assert repr(one) == one.message
    assert repr(two) == f"<trend of 2 periods: PNG image, {len(two.png or b''):,} bytes>"
    assert trend_of(history, "Acme Dental Group").periods == two.periods
    m365 = history[history["service_id"] == "29683404"].set_index("period")["billed_quantity"]
    assert list(m365) == [Decimal(23), Decimal(25)]  # the chart's solid line: 23 then 25
    assert open_client(workspace, PERIOD, "29600100").trend().periods == two.periods


def test_the_client_scope_shows_the_trend(workspace: Path, demo_result: Reconciliation) -> None:
    opened = Workspace.open(workspace)
    app = build_dashboard(workspace)
    client = next(w for w in _flatten(app) if getattr(w, "description", "") == "Client")
    client.value = "29600100"
    alone = [
        str(w.value) for w in _flatten(app) if "wb-trend-message" in str(getattr(w, "value", ""))
    ]
    with Ledger.open(ledger_path(opened)) as ledger:
        ledger.record_run(demo_result, inputs={}, who=REVIEWER)
        ledger.record_run(_two_periods(demo_result), inputs={}, who=REVIEWER)
    client.value = ""
    client.value = "29600100"

    assert len(alone) == 1 and "No runs of Acme Dental Group are recorded yet" in alone[0]
    images = [
        w
        for w in _flatten(app)
        if getattr(w, "format", "") == "png" and bytes(w.value).startswith(b"\x89PNG")
    ]
    shown = [w for w in images if w.layout.display != "none"]
    assert len(shown) == 2  # the money-at-stake chart and the trend
    assert any(
        "September 2026 to October 2026" in str(getattr(w, "value", "")) for w in _flatten(app)
    )
    rows = _shown_ids(app)  # the review is scoped to the client too
    assert rows and all(line_id.startswith("29600100:") for line_id in rows)


# --- the browser ---------------------------------------------------------------------------


def _browser_row(page: Any, line_id: str) -> Any:
    return page.locator(f".{DECISION_ROW_CLASS}").filter(
        has=page.locator(f'[data-line-id="{line_id}"]')
    )


def _open_review(page: Any, url: str, login: str) -> None:
    from playwright.sync_api import expect

    sign_in(page, url, login)
    expect(page.locator(f".{DECISION_ROW_CLASS}")).to_have_count(TO_REVIEW, timeout=180_000)
    expect(page.locator(".wb-signed-in")).to_have_text(f"Deciding as {login}")


def _expect_decided(page: Any, line_id: str, words: str) -> None:
    from playwright.sync_api import expect

    row = _browser_row(page, line_id)
    expect(row.locator('[data-state="decided"]')).to_have_count(1, timeout=60_000)
    expect(row.locator(".wb-decision-done")).to_contain_text(words)


@pytest.mark.browser
def test_reviewing_in_the_browser_saves_each_decision_in_the_ledger_and_the_workbook(
    tmp_path: Path, team_dashboard: Dashboard
) -> None:
    from playwright.sync_api import expect

    workspace = team_dashboard.workspace
    result = reconcile_workspace(workspace, PERIOD)
    with Ledger.open(tmp_path / "scratch.sqlite") as scratch:  # the order the page shows
        order = scratch.review(result)
    ids = [str(line_id) for line_id in order["line_id"]]
    approved, adjusted, dismissed = ids[:2], ids[2], ids[3]
    quantity = int(order["expected_quantity"].iat[2]) - 1
    bulk = list(
        filter_review(order[~order["line_id"].isin(ids[:4])], status=Status.UNDER_BILLED).pipe(
            lambda lines: filter_review(lines, minimum=Decimal(10))
        )["line_id"]
    )
    assert len(bulk) == 3  # Willow Creek 65.00, Acme 52.80, Riverbend 12.00 (Yardley 9.00 out)

    reviewer = "dana"  # her decisions carry her login
    url, browser = team_dashboard.url, team_dashboard.browser
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _open_review(page, url, reviewer)
    message = page.locator(f".{DECISIONS_MESSAGE_CLASS}")

    for line_id in approved:  # two lines ticked, approved together once confirmed
        _browser_row(page, line_id).locator("input[type=checkbox]").check()
    page.locator("button.wb-approve-selected").click()
    expect(page.locator(".wb-bulk-question")).to_contain_text(
        "Approve the 2 pending lines of the 2 lines ticked?", timeout=60_000
    )
    page.locator("button.wb-confirm-pending").click()
    expect(message).to_contain_text("Approved 2 lines; saved in ledger.sqlite", timeout=60_000)
    for line_id in approved:
        _expect_decided(page, line_id, f"Approved by {reviewer}")

    row = _browser_row(page, adjusted)
    row.locator(".wb-decision-quantity input").fill(str(quantity))
    row.locator(".wb-decision-note input").fill("two leavers in October")
    row.locator("button.wb-adjust").click()
    _expect_decided(page, adjusted, f"Adjusted to {quantity} by {reviewer}")
    expect(row.locator(".wb-decision-done")).to_contain_text("two leavers in October")

    _browser_row(page, dismissed).locator("button.wb-dismiss").click()
    _expect_decided(page, dismissed, f"Dismissed by {reviewer}")

    page.locator(".wb-filter-status select").select_option(label=str(Status.UNDER_BILLED))
    minimum = page.locator(".wb-filter-minimum input")
    minimum.fill("10")
    minimum.press("Enter")
    page.locator(".wb-filter-state select").select_option(label="Pending")
    expect(page.locator(f".{DECISION_ROW_CLASS}")).to_have_count(len(bulk))
    for line_id in bulk:
        expect(_browser_row(page, line_id)).to_have_count(1)
    page.locator("button.wb-approve-filtered").click()
    page.locator("button.wb-confirm-pending").click()
    expect(message).to_contain_text(f"Approved {len(bulk)} lines", timeout=60_000)
    expect(page.locator(f".{DECISION_ROW_CLASS}")).to_have_count(0)

    page.locator("button.wb-prepare-workbook").click()
    link = page.locator("a.wb-download")
    expect(link).to_have_attribute("download", "All clients - 2026-10.xlsx", timeout=120_000)
    href = link.get_attribute("href") or ""
    _screenshot(page, tmp_path / "review.png")

    expected = {
        **{line_id: ("approve", None, "", reviewer) for line_id in [*approved, *bulk]},
        adjusted: ("adjust", Decimal(quantity), "two leavers in October", reviewer),
        dismissed: ("dismiss", None, "", reviewer),
    }
    assert _decisions(workspace) == expected
    assert href.startswith(
        "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,"
    )
    assert _workbook_decisions(base64.b64decode(href.split(",", 1)[1])) == {
        line_id: (
            decision,
            None if amount is None else int(amount),
            note or None,
        )
        for line_id, (decision, amount, note, _) in expected.items()
    }


@pytest.mark.browser
def test_two_reviewers_at_once_lose_nothing_and_see_each_other_after_refresh(
    tmp_path: Path, team_dashboard: Dashboard
) -> None:
    from playwright.sync_api import expect

    workspace = team_dashboard.workspace
    result = reconcile_workspace(workspace, PERIOD)
    with Ledger.open(tmp_path / "scratch.sqlite") as scratch:
        ids = [str(line_id) for line_id in scratch.review(result)["line_id"]]

    url, browser = team_dashboard.url, team_dashboard.browser
    # Two people, two browsers' worth of cookies, each page its own Voila kernel.
    alice = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    bob = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _open_review(alice, url, "alice")
    _open_review(bob, url, "bob")

    # Turn about: Alice approves 1 and 3, Bob dismisses 2 and 4.
    for page, line_id, button, words in (
        (alice, ids[0], "wb-approve", "Approved by alice"),
        (bob, ids[1], "wb-dismiss", "Dismissed by bob"),
        (alice, ids[2], "wb-approve", "Approved by alice"),
        (bob, ids[3], "wb-dismiss", "Dismissed by bob"),
    ):
        _browser_row(page, line_id).locator(f"button.{button}").click()
        _expect_decided(page, line_id, words)

    # Alice last read the ledger at her second click: Bob's second is not shown yet.
    expect(_browser_row(alice, ids[3]).locator('[data-state="pending"]')).to_have_count(1)
    _expect_decided(alice, ids[1], "Dismissed by bob")  # read again at her next click
    alice.locator("button.wb-refresh").click()
    _expect_decided(alice, ids[3], "Dismissed by bob")
    bob.locator("button.wb-refresh").click()
    for line_id in (ids[0], ids[2]):
        _expect_decided(bob, line_id, "Approved by alice")
    for page in (alice, bob):
        expect(page.locator('.wb-decision-row [data-state="decided"]')).to_have_count(4)

    assert _decisions(workspace) == {
        ids[0]: ("approve", None, "", "alice"),
        ids[1]: ("dismiss", None, "", "bob"),
        ids[2]: ("approve", None, "", "alice"),
        ids[3]: ("dismiss", None, "", "bob"),
    }
