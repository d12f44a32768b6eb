"""The decisions ledger, on the demo month (13 discrepancies and 1 bundle gap in 2026-10).

The 14 lines to review, by money at stake (absolute revenue impact, then line id):

=====================  =================================  ====================  =======
line id                client / service                   status                impact
=====================  =================================  ====================  =======
29600212:29683415      Quarry Hill, Gold user bundle      under-billed           190.00
29600107:29683401      Bluewater, Managed workstation     over-billed           -135.00
29600135:29683402      Foxglove, Managed server           under-billed           135.00
29600156:29683404      Ironwood, Microsoft 365            over-billed            -79.20
29600254:29683416      Willow Creek, Device bundle        under-billed            65.00
29600100:29683404      Acme Dental, Microsoft 365         under-billed            52.80
29600114:29683408      Cedar Ridge, Identity threat       unbilled usage          48.00
...                    (30.00, 24.00, 12.00, 9.00, 8.00, 4.00)
29600212:29683415:...  Quarry Hill, Gold: security aw.   bundle gap               0.00
=====================  =================================  ====================  =======
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.builders import reconciliation_line
from tests.conftest import BUNDLE_GAPS, DEMO, DISCREPANCIES
from workbench import Reconciliation, Workspace
from workbench.errors import WorkbenchError
from workbench.ledger import (
    REVIEW_COLUMNS,
    SCHEMA_VERSION,
    Choice,
    Decided,
    Decision,
    Ledger,
    ledger_path,
)
from workbench.result import LINE_COLUMNS, Status

PERIOD = "2026-10"
GOLD = "29600212:29683415"  # Quarry Hill, Gold managed user bundle: under-billed 32 -> 34
SERVER = "29600135:29683402"  # Foxglove, Managed server: under-billed 2 -> 3
WORKSTATION = "29600107:29683401"  # Bluewater, Managed workstation: over-billed 43 -> 40
ACME_M365 = "29600100:29683404"  # Acme Dental, Microsoft 365 Business Premium: 25 -> 27
GAP = "29600212:29683415:Security awareness training"  # the bundle gap
ACME = "29600100"
STAKES = [
    "190.00",
    "135.00",
    "135.00",
    "79.20",
    "65.00",
    "52.80",
    "48.00",
    "30.00",
    "24.00",
    "12.00",
    "9.00",
    "8.00",
    "4.00",
    "0.00",
]


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(tmp_path / "ledger.sqlite") as opened:
        yield opened


def line_of(result: Reconciliation, line_id: str) -> dict[str, object]:
    rows = result.lines[result.lines["line_id"] == line_id].to_dict("records")
    assert len(rows) == 1
    return rows[0]


def with_line(result: Reconciliation, line_id: str, **changes: object) -> Reconciliation:
    """The same result with one line's fields changed, as a later run might find it."""
    lines = result.lines.copy()
    where = lines["line_id"] == line_id
    for name, value in changes.items():
        lines.loc[where, name] = value
    return dataclasses.replace(result, lines=lines)


def test_ledger_lives_in_the_workspace_root() -> None:
    workspace = Workspace.open(DEMO)
    assert ledger_path(workspace) == DEMO.resolve() / "ledger.sqlite"


def test_a_new_ledger_is_a_wal_file_at_the_current_schema(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.schema_version == SCHEMA_VERSION == 4
    raw = sqlite3.connect(tmp_path / "ledger.sqlite")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"decisions", "runs", "run_lines", "mapping_edits", "pushes"}
    raw.close()


def test_the_demo_review_lists_every_discrepancy_and_bundle_gap_by_money_at_stake(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    review = ledger.review(demo_result)
    assert len(review) == DISCREPANCIES + BUNDLE_GAPS == 14
    assert list(review.columns) == LINE_COLUMNS + REVIEW_COLUMNS
    assert [str(abs(value)) for value in review["revenue_impact"]] == STAKES
    assert list(review["line_id"][:3]) == [GOLD, WORKSTATION, SERVER]  # a tie goes by line id
    assert review["line_id"].iloc[-1] == GAP
    assert set(review["state"]) == {"pending"}
    assert set(review["decision"]) == {""}
    assert review["quantity"].isna().all()


def test_approve_adjust_and_dismiss_are_kept_with_the_line_as_it_was(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    approved = ledger.decide(PERIOD, line_of(demo_result, GOLD), "approve", who="dana")
    adjusted = ledger.decide(
        PERIOD,
        line_of(demo_result, SERVER),
        Decision.ADJUST,
        quantity="2.0",
        note="the third server is a lab box",
        who="lee",
    )
    dismissed = ledger.decide(
        PERIOD, line_of(demo_result, WORKSTATION), "Dismiss", note="laptops in repair", who="dana"
    )
    assert approved.decision == Decision.APPROVE and approved.quantity is None
    assert adjusted.quantity == Decimal("2")
    assert dismissed.decision == Decision.DISMISS
    assert adjusted.snapshot == {
        "status": "under-billed",
        "billed_quantity": "2",
        "expected_quantity": "3",
        "difference": "1",
        "unit_price": "135.00",
        "revenue_impact": "135.00",
    }
    assert adjusted.decided_at.endswith("+00:00")

    current = ledger.decisions(PERIOD)
    assert set(current) == {GOLD, SERVER, WORKSTATION}
    assert current[SERVER] == adjusted  # read back exactly, quantity as a Decimal

    review = ledger.review(demo_result).set_index("line_id")
    assert (review["state"] == "decided").sum() == 3
    assert (review["state"] == "pending").sum() == 11
    assert review.loc[SERVER, "decision"] == "adjust"
    assert review.loc[SERVER, "quantity"] == Decimal("2")
    assert str(review.loc[SERVER, "quantity"]) == "2"  # whole units, as the PSA bills them
    assert review.loc[SERVER, "note"] == "the third server is a lab box"
    assert review.loc[SERVER, "who"] == "lee"
    assert review.loc[WORKSTATION, "decision"] == "dismiss"


def test_a_decision_from_a_pandas_row_matches_one_from_a_dict(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    row = demo_result.lines[demo_result.lines["line_id"] == ACME_M365].iloc[0]
    from_row = ledger.decide(PERIOD, row, "approve", who="dana")
    from_dict = ledger.decide(PERIOD, line_of(demo_result, ACME_M365), "approve", who="dana")
    assert from_row.snapshot == from_dict.snapshot
    assert from_row.snapshot["expected_quantity"] == "27"


def test_a_line_that_moved_since_its_decision_shows_as_changed(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    ledger.decide(PERIOD, line_of(demo_result, GOLD), "approve", who="dana")
    ledger.decide(PERIOD, line_of(demo_result, SERVER), "approve", who="dana")
    ledger.decide(PERIOD, line_of(demo_result, WORKSTATION), "dismiss", who="dana")
    # The next run: two more Gold users, and a changed status on the workstation line.
    later = with_line(demo_result, GOLD, expected_quantity=36, difference=4)
    later = with_line(later, WORKSTATION, status=Status.UNDER_BILLED)
    review = ledger.review(later).set_index("line_id")
    assert review.loc[GOLD, "state"] == "changed"
    assert review.loc[GOLD, "decision"] == "approve"  # what was decided before, for reference
    assert review.loc[WORKSTATION, "state"] == "changed"
    assert review.loc[SERVER, "state"] == "decided"
    # A price or impact that moves with the same quantities is not a change of the line.
    repriced = with_line(demo_result, SERVER, revenue_impact=Decimal("140.00"))
    assert ledger.review(repriced).set_index("line_id").loc[SERVER, "state"] == "decided"


def test_the_latest_act_wins_and_a_clear_goes_back_to_pending_but_stays_in_history(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    line = line_of(demo_result, ACME_M365)
    ledger.decide(PERIOD, line, "dismiss", who="dana")
    ledger.decide(PERIOD, line, "adjust", quantity=26, who="lee")
    assert ledger.decisions(PERIOD)[ACME_M365].quantity == Decimal(26)
    ledger.clear(PERIOD, ACME_M365, who="dana")
    assert ACME_M365 not in ledger.decisions(PERIOD)
    review = ledger.review(demo_result).set_index("line_id")
    assert review.loc[ACME_M365, "state"] == "pending"
    assert review.loc[ACME_M365, "decision"] == ""
    history = ledger.history(PERIOD, ACME_M365)
    assert [(act.decision, act.who) for act in history] == [
        (Decision.DISMISS, "dana"),
        (Decision.ADJUST, "lee"),
        (Decision.CLEAR, "dana"),
    ]
    assert history[2].snapshot == {}
    ledger.decide(PERIOD, line, "approve", who="lee")
    assert ledger.decisions(PERIOD)[ACME_M365].decision == Decision.APPROVE
    assert len(ledger.history(PERIOD, ACME_M365)) == 4


def test_a_dismissal_lapses_at_period_end(ledger: Ledger, demo_result: Reconciliation) -> None:
    ledger.decide(PERIOD, line_of(demo_result, WORKSTATION), "dismiss", who="dana")
    next_month = dataclasses.replace(demo_result, period="2026-11")
    review = ledger.review(next_month).set_index("line_id")
    assert review.loc[WORKSTATION, "state"] == "pending"
    assert ledger.decisions("2026-11") == {}
    assert set(ledger.decisions(PERIOD)) == {WORKSTATION}


def test_decide_many_writes_all_lines_in_one_go(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    lines = ledger.review(demo_result)
    acts = ledger.decide_many(PERIOD, lines.to_dict("records"), "approve", note="bulk", who="dana")
    assert len(acts) == 14
    assert all(isinstance(act, Decided) and act.note == "bulk" for act in acts)
    assert set(ledger.review(demo_result)["state"]) == {"decided"}


def test_decide_many_writes_nothing_when_one_line_is_wrong(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    lines = [line_of(demo_result, GOLD), {"status": "under-billed"}]
    with pytest.raises(WorkbenchError, match="no line_id"):
        ledger.decide_many(PERIOD, lines, "approve", who="dana")
    assert ledger.decisions(PERIOD) == {}
    with pytest.raises(WorkbenchError, match="one at a time"):
        ledger.decide_many(PERIOD, [line_of(demo_result, GOLD)], "adjust", who="dana")


def test_decide_all_records_different_choices_together_or_not_at_all(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    choices = [
        Choice(line_of(demo_result, GOLD), "approve"),
        Choice(line_of(demo_result, SERVER), "adjust", quantity="2", note="lab box"),
        Choice(line_of(demo_result, WORKSTATION), "dismiss", note="in repair"),
    ]
    wrong = [*choices, Choice(line_of(demo_result, ACME_M365), "adjust", quantity="-2")]
    with pytest.raises(
        WorkbenchError,
        match=r"^Acme Dental Group, Microsoft 365 Business Premium: adjusted quantity -2 cannot",
    ):
        ledger.decide_all(PERIOD, wrong, who="dana")
    assert ledger.decisions(PERIOD) == {}

    acts = ledger.decide_all(PERIOD, choices, who="dana")
    assert [(act.line_id, act.decision, act.quantity, act.note) for act in acts] == [
        (GOLD, Decision.APPROVE, None, ""),
        (SERVER, Decision.ADJUST, Decimal(2), "lab box"),
        (WORKSTATION, Decision.DISMISS, None, "in repair"),
    ]
    assert ledger.decisions(PERIOD) == {act.line_id: act for act in acts}


def test_decide_all_takes_lines_back_to_pending_in_the_same_transaction(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    ledger.decide_many(
        PERIOD, [line_of(demo_result, GOLD), line_of(demo_result, SERVER)], "approve", who="dana"
    )
    wrong = [Choice(line_of(demo_result, ACME_M365), "adjust", quantity="-2")]
    with pytest.raises(WorkbenchError, match=r"^Acme Dental Group, Microsoft 365 Business Premium"):
        ledger.decide_all(PERIOD, wrong, clears=[GOLD], who="lee")
    assert set(ledger.decisions(PERIOD)) == {GOLD, SERVER}  # the clear was not recorded either

    ledger.decide_all(
        PERIOD, [Choice(line_of(demo_result, WORKSTATION), "dismiss")], clears=[GOLD], who="lee"
    )
    assert set(ledger.decisions(PERIOD)) == {SERVER, WORKSTATION}
    assert [act.decision for act in ledger.history(PERIOD, GOLD)] == [
        Decision.APPROVE,
        Decision.CLEAR,
    ]


@pytest.mark.parametrize(
    ("decision", "quantity", "who", "message"),
    [
        (
            "accept",
            None,
            "dana",
            r"Quarry Hill Engineering, Gold managed user bundle: unknown decision 'accept': choose "
            "one of approve, adjust, "
            "dismiss$",
        ),
        ("clear", None, "dana", "use clear"),
        ("adjust", None, "dana", "an adjustment needs the quantity to bill"),
        ("adjust", "", "dana", "an adjustment needs the quantity to bill"),
        ("adjust", "-1", "dana", "adjusted quantity -1 cannot be billed"),
        ("adjust", "NaN", "dana", "adjusted quantity NaN cannot be billed"),
        ("adjust", "two", "dana", "adjusted quantity 'two' is not a number"),
        # Services bill whole units; 2.5 reached the PSA as a unit change of -29.5.
        ("adjust", "2.5", "dana", "adjusted quantity 2.5 cannot be billed; .*whole units"),
        ("adjust", Decimal("1e20"), "dana", "adjusted quantity 1E\\+20 cannot be billed"),
        ("adjust", 1_000_000_000, "dana", "below 1,000,000,000"),
        ("approve", 3, "dana", "a quantity goes with an adjustment only"),
        ("dismiss", "0", "dana", "a quantity goes with an adjustment only"),
        ("approve", None, "  ", "the reviewer's name is required"),
    ],
)
def test_a_wrong_decision_is_refused_with_what_to_do(
    ledger: Ledger,
    demo_result: Reconciliation,
    decision: str,
    quantity: str | int | None,
    who: str,
    message: str,
) -> None:
    with pytest.raises(WorkbenchError, match=message):
        ledger.decide(PERIOD, line_of(demo_result, GOLD), decision, quantity=quantity, who=who)
    assert ledger.history(PERIOD, GOLD) == []


def test_a_wrong_period_is_refused(ledger: Ledger, demo_result: Reconciliation) -> None:
    with pytest.raises(WorkbenchError, match="YYYY-MM"):
        ledger.decide("Oct 2026", line_of(demo_result, GOLD), "approve", who="dana")


def test_adjusting_to_zero_is_allowed(ledger: Ledger, demo_result: Reconciliation) -> None:
    act = ledger.decide(PERIOD, line_of(demo_result, GOLD), "adjust", quantity=0, who="dana")
    assert act.quantity == Decimal(0)


def test_decisions_are_stored_as_text_and_survive_reopening(
    tmp_path: Path, demo_result: Reconciliation
) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path) as ledger:
        ledger.decide(
            PERIOD, line_of(demo_result, SERVER), "adjust", quantity=Decimal("3.00"), who="lee"
        )
        ledger.record_run(demo_result, inputs={}, who="lee")
    with Ledger.open(path) as ledger:
        assert ledger.decisions(PERIOD)[SERVER].quantity == Decimal("3")
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT quantity, typeof(quantity) FROM decisions").fetchall() == [
        ("3", "text")
    ]
    kinds = raw.execute(
        "SELECT DISTINCT typeof(billed_quantity), typeof(billed_revenue), typeof(revenue_impact)"
        " FROM run_lines"
    ).fetchall()
    assert kinds == [("text", "text", "text")]
    assert raw.execute("SELECT typeof(revenue_leaking) FROM runs").fetchall() == [("text",)]
    raw.close()


def test_a_run_is_recorded_with_its_inputs_totals_and_lines(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    checksums = dict(
        zip(demo_result.files["source_file"], demo_result.files["sha256"], strict=True)
    )
    run_id = ledger.record_run(demo_result, inputs=checksums, who="dana")
    runs = ledger.runs(PERIOD)
    assert list(runs["run_id"]) == [run_id]
    run = runs.iloc[0]
    summary = demo_result.summary()
    assert run["who"] == "dana"
    assert run["inputs"] == checksums and len(checksums) == 13
    assert run["lines"] == len(demo_result.lines) == 166
    assert run["discrepancies"] == DISCREPANCIES
    assert run["revenue_leaking"] == summary.revenue_leaking == Decimal("523.80")
    assert run["over_billing_risk"] == summary.over_billing_risk == Decimal("268.20")
    assert run["unmapped_spend"] == summary.unmapped_spend == Decimal("212.00")
    assert run["billed_revenue"] == summary.billed_revenue
    assert run["checked_revenue"] == summary.checked_revenue
    raw = sqlite3.connect(ledger.path)
    stored = raw.execute(
        "SELECT count(*), sum(CAST(revenue_impact AS TEXT) != '0.00') FROM run_lines"
        " WHERE run_id = ?",
        (run_id,),
    ).fetchone()
    raw.close()
    assert stored == (166, DISCREPANCIES)
    assert list(ledger.runs("2026-11")["run_id"]) == []


def test_billed_vs_used_follows_the_latest_run_of_each_period(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    first = ledger.record_run(demo_result, inputs={}, who="dana")
    # A re-run of October where Acme's Microsoft 365 contract was corrected to 27 seats.
    corrected = with_line(demo_result, ACME_M365, billed_quantity=27, status=Status.MATCH)
    second = ledger.record_run(corrected, inputs={}, who="dana")
    november = ledger.record_run(
        dataclasses.replace(demo_result, period="2026-11"), inputs={}, who="dana"
    )
    assert first < second < november
    assert list(ledger.runs()["period"]) == [PERIOD, PERIOD, "2026-11"]

    trend = ledger.billed_vs_used(ACME)
    acme_services = demo_result.lines[
        (demo_result.lines["company_id"] == ACME)
        & (demo_result.lines["line_id"] == ACME + ":" + demo_result.lines["service_id"])
    ]
    assert len(trend) == 2 * len(acme_services) == 12
    m365 = trend[trend["service_id"] == "29683404"].set_index("period")
    assert m365.loc[PERIOD, "billed_quantity"] == Decimal(27)  # the later October run
    assert m365.loc[PERIOD, "used_quantity"] == Decimal(27)
    assert m365.loc[PERIOD, "billed_revenue"] == Decimal("712.80")  # 27 x 26.40
    assert m365.loc["2026-11", "billed_quantity"] == Decimal(25)
    assert m365.loc["2026-11", "billed_revenue"] == Decimal("660.00")  # 25 x 26.40
    vcio = trend[trend["service_name"] == "vCIO consulting (monthly)"]
    assert list(vcio["used_quantity"]) == [None, None]  # not reconciled: nothing measures it
    assert ledger.billed_vs_used("no such client").empty


def test_bundle_components_stay_out_of_the_trend(
    ledger: Ledger, demo_result: Reconciliation
) -> None:
    ledger.record_run(demo_result, inputs={}, who="dana")
    trend = ledger.billed_vs_used("29600212")  # Quarry Hill: a Gold bundle of four components
    gold = trend[trend["service_id"] == "29683415"]
    assert list(gold["service_name"]) == ["Gold managed user bundle"]
    assert list(gold["billed_quantity"]) == [Decimal(32)]
    assert list(gold["used_quantity"]) == [Decimal(34)]


def test_a_file_from_a_newer_workbench_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(WorkbenchError, match="newer workbench"):
        Ledger.open(path)


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_text("Company,Seats\nAcme,25\n" * 200, encoding="utf-8")
    with pytest.raises(WorkbenchError, match="is not a decisions ledger"):
        Ledger.open(path)


def test_another_programs_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE invoices (number TEXT)")
    raw.commit()
    raw.close()
    with pytest.raises(WorkbenchError, match="another program's database"):
        Ledger.open(path)
    raw = sqlite3.connect(path)
    tables = raw.execute("SELECT name FROM sqlite_master").fetchall()
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 0
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    raw.close()
    assert tables == [("invoices",)]


def test_a_ledger_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="does not exist"):
        Ledger.open(tmp_path / "nowhere" / "ledger.sqlite")


def test_review_of_a_result_without_findings_is_empty(ledger: Ledger) -> None:
    empty = pd.DataFrame(columns=LINE_COLUMNS)
    result = Reconciliation(
        period=PERIOD,
        currency="USD",
        lines=empty,
        evidence=pd.DataFrame(),
        coverage=pd.DataFrame(),
        excluded=pd.DataFrame(),
        clients=pd.DataFrame(columns=["company_id", "company_name"]),
        customer_matches=pd.DataFrame(),
    )
    review = ledger.review(result)
    assert review.empty
    assert list(review.columns) == LINE_COLUMNS + REVIEW_COLUMNS


WRITERS = 2
LINES_PER_WRITER = 200


def decide_lines(path: Path, writer: int, start: Any) -> int:
    """One reviewer's process: open the ledger, wait for the other, then decide 200 lines one
    write at a time, reading the decisions back after each as the dashboard does.

    Both writers meet at the barrier again after every 10 lines, so however the machine
    schedules them, neither can write all its lines before the other begins: the writes overlap
    in every round of 10."""
    with Ledger.open(path) as ledger:  # both processes race to create the file
        start.wait()
        for number in range(LINES_PER_WRITER):
            if number and number % 10 == 0:
                start.wait()
            line = reconciliation_line(
                f"{writer}:{number}", Status.UNDER_BILLED, billed_quantity=number
            )
            if number % 2:
                ledger.decide(PERIOD, line, "approve", note=f"writer {writer}", who=f"r{writer}")
            else:
                ledger.decide(PERIOD, line, "adjust", quantity=number, who=f"r{writer}")
            ledger.decisions(PERIOD)
    return writer


def test_two_processes_deciding_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(WRITERS)
        with ProcessPoolExecutor(WRITERS, mp_context=context) as pool:
            done = [pool.submit(decide_lines, path, writer, start) for writer in range(WRITERS)]
            # A "database is locked" error in either process would be raised here.
            assert sorted(future.result(timeout=300) for future in done) == [0, 1]
    with Ledger.open(path) as ledger:
        current = ledger.decisions(PERIOD)
    assert len(current) == WRITERS * LINES_PER_WRITER == 400
    assert current["1:7"].note == "writer 1" and current["1:7"].who == "r1"
    assert current["0:8"].quantity == Decimal(8)
    raw = sqlite3.connect(path)
    per_writer = raw.execute("SELECT who, count(*) FROM decisions GROUP BY who").fetchall()
    writers = [who for (who,) in raw.execute("SELECT who FROM decisions ORDER BY id")]
    raw.close()
    assert per_writer == [("r0", 200), ("r1", 200)]
    # The writes really overlapped: the file holds them interleaved, at least once per round of
    # 10 lines, not one writer's block after the other's.
    assert sum(a != b for a, b in itertools.pairwise(writers)) >= LINES_PER_WRITER // 10 - 1


def test_a_version_1_ledger_is_migrated_keeping_its_decisions(
    tmp_path: Path, demo_result: Reconciliation
) -> None:
    path = tmp_path / "ledger.sqlite"
    raw = sqlite3.connect(path)
    # Schema 1 as the first release wrote it: decisions only, no snapshot, no runs.
    raw.executescript(
        """
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            period TEXT NOT NULL,
            line_id TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('approve', 'adjust', 'dismiss', 'clear')),
            quantity TEXT,
            note TEXT NOT NULL DEFAULT '',
            who TEXT NOT NULL,
            decided_at TEXT NOT NULL
        );
        CREATE INDEX decisions_by_line ON decisions (period, line_id, id);
        INSERT INTO decisions (period, line_id, decision, quantity, note, who, decided_at)
        VALUES ('2026-10', '29600135:29683402', 'adjust', '2', 'lab box', 'lee',
                '2026-11-02T09:00:00+00:00'),
               ('2026-10', '29600212:29683415', 'approve', NULL, '', 'dana',
                '2026-11-02T09:05:00+00:00');
        PRAGMA user_version = 1;
        """
    )
    raw.close()

    with Ledger.open(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION == 4
        current = ledger.decisions(PERIOD)
        assert current[SERVER] == Decided(
            period=PERIOD,
            line_id=SERVER,
            decision=Decision.ADJUST,
            quantity=Decimal(2),
            note="lab box",
            who="lee",
            decided_at="2026-11-02T09:00:00+00:00",
            snapshot={},
        )
        assert current[GOLD].decision == Decision.APPROVE
        # Decisions from before snapshots were kept stand: nothing to compare them with.
        states = ledger.review(demo_result).set_index("line_id")["state"]
        assert (states[SERVER], states[GOLD]) == ("decided", "decided")
        # The tables schema 2 added work at once.
        ledger.record_run(demo_result, inputs={}, who="dana")
        ledger.decide(PERIOD, line_of(demo_result, SERVER), "approve", who="dana")
        assert len(ledger.history(PERIOD, SERVER)) == 2
        assert len(ledger.runs()) == 1
        # And the table schema 3 added: who changed the mappings.
        with ledger.recording_mapping_edit(who="dana") as record:
            record("Mapped Zeta LLC (Microsoft) to Zeta", "mappings.history/mappings-1.xlsx")
        assert [(edit.who, edit.summary) for edit in ledger.mapping_edits()] == [
            ("dana", "Mapped Zeta LLC (Microsoft) to Zeta")
        ]

    with Ledger.open(path) as ledger:  # opening again migrates nothing more
        assert ledger.schema_version == 4
        assert len(ledger.history(PERIOD, SERVER)) == 2
