"""The monthly batch, for real: papermill executes the notebooks into the outputs folder."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import jinja2
import nbformat
import openpyxl
import pandas as pd
import papermill
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbformat import v4

from tests.conftest import DEMO, PERIOD, ROOT
from workbench.batch import (
    _PAGE_TEMPLATE,
    CLIENT_NOTEBOOK,
    NO_IMAGE_DESCRIPTION,
    PORTFOLIO_NOTEBOOK,
    export_html,
    folder_name,
    run_batch,
)


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("Keystone Title & Escrow", "Keystone Title & Escrow"),
        ('A/B "Consulting": Inc?', "A B Consulting Inc"),
        ("..hidden. ", "hidden"),
        ("CON", "CON (client)"),
        ("nul.txt", "nul.txt (client)"),
        ("\x07\t", "client"),
        ("Ærø Fiskeri ApS", "Ærø Fiskeri ApS"),
    ],
)
def test_client_names_become_safe_folder_names(name: str, folder: str) -> None:
    assert folder_name(name) == folder


def outputs_of(notebook: Path) -> str:
    book = nbformat.read(notebook, as_version=4)
    assert all(
        output.get("output_type") != "error"
        for cell in book.cells
        for output in cell.get("outputs", [])
    )
    return json.dumps([cell.get("outputs", []) for cell in book.cells])


def test_batch_writes_workbooks_and_executed_notebooks(tmp_path: Path) -> None:
    messages: list[str] = []
    batch = run_batch(
        DEMO, PERIOD, tmp_path, only=["Bluewater Logistics", "29600170"], progress=messages.append
    )
    assert batch.ok
    assert [run.client for run in batch.clients] == [
        "Bluewater Logistics",
        "Keystone Title & Escrow",
    ]
    period = tmp_path / PERIOD
    # The whole month (a run of two clients too): the demo's 166 lines, and the 80 source rows
    # of its 14 lines to decide (of 1,030).
    every = openpyxl.load_workbook(period / f"All clients - {PERIOD}.xlsx")
    assert every.sheetnames[4:6] == ["Lines", "Evidence"]
    assert (every["Lines"].max_row, every["Evidence"].max_row) == (1 + 166, 1 + 80)
    for run in batch.clients:
        workbook = run.folder / f"{run.folder.name} - {PERIOD}.xlsx"
        assert openpyxl.load_workbook(workbook).sheetnames[:3] == [
            "Summary",
            "Review",
            "Adjustments",
        ]
        shown = outputs_of(run.folder / "reconciliation.ipynb")
        assert run.client in shown
    bluewater = outputs_of(period / "Bluewater Logistics" / "reconciliation.ipynb")
    assert "over-billed" in bluewater and "-$135.00" in bluewater
    portfolio = outputs_of(period / "portfolio.ipynb")
    assert "$523.80" in portfolio and "$268.20" in portfolio and "image/png" in portfolio
    assert any("[2/2]" in message for message in messages)
    assert messages[-1].startswith("Done in") and "2 of 2 clients ok" in messages[-1]


def test_one_failing_client_does_not_sink_the_batch(tmp_path: Path) -> None:
    """A workspace whose mapping points one client's usage at a company the PSA no longer has."""
    workspace = tmp_path / "workspace"
    shutil.copytree(DEMO, workspace)
    broken_notebook_dir = tmp_path / "notebooks"
    broken_notebook_dir.mkdir()
    # The client notebook fails for exactly one client: it raises when asked for Acme.
    book = nbformat.read(CLIENT_NOTEBOOK, as_version=4)
    book.cells.insert(
        3,
        nbformat.v4.new_code_cell(
            'if str(client) == "29600100":\n    raise RuntimeError("simulated failure for Acme")'
        ),
    )
    nbformat.write(book, broken_notebook_dir / CLIENT_NOTEBOOK.name)
    shutil.copy(PORTFOLIO_NOTEBOOK, broken_notebook_dir / PORTFOLIO_NOTEBOOK.name)
    import workbench.batch as batch_module

    original = batch_module.CLIENT_NOTEBOOK
    batch_module.CLIENT_NOTEBOOK = broken_notebook_dir / CLIENT_NOTEBOOK.name
    try:
        batch = run_batch(
            workspace,
            PERIOD,
            tmp_path / "out",
            only=["29600100", "29600107"],
            progress=lambda _: None,
        )
    finally:
        batch_module.CLIENT_NOTEBOOK = original
    assert not batch.ok
    assert [(run.client, run.ok) for run in batch.clients] == [
        ("Acme Dental Group", False),
        ("Bluewater Logistics", True),
    ]
    assert batch.failed[0].error == "RuntimeError: simulated failure for Acme"
    assert (tmp_path / "out" / PERIOD / "portfolio.ipynb").is_file()


def test_the_cli_reports_a_user_mistake_without_a_traceback(tmp_path: Path) -> None:
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench.cli",
            "run",
            "--workspace",
            str(DEMO),
            "--period",
            "2026-13",
            "--outputs",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert finished.returncode == 2
    assert (
        finished.stderr.strip()
        == "error: period '2026-13' is not a month written as YYYY-MM, such as 2026-10"
    )
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench.cli",
            "run",
            "--workspace",
            str(tmp_path),
            "--outputs",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert missing.returncode == 2
    assert "is not a workspace: workspace.toml is missing" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_papermill_runs_the_client_notebook_standalone(tmp_path: Path) -> None:
    output = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(CLIENT_NOTEBOOK),
        str(output),
        parameters={"workspace": str(DEMO), "period": PERIOD, "client": "Dunmore Accounting"},
        progress_bar=False,
        cwd=str(CLIENT_NOTEBOOK.parent),
    )
    shown = outputs_of(output)
    assert "billed without usage" in shown and "-$24.00" in shown
    charts = [
        output["data"]
        for cell in nbformat.read(output, as_version=4).cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    # The chart's plain-text form names it; the PNG is stored once, not again as bytes.
    assert charts and all(
        chart["text/plain"].startswith("<chart: PNG image, ") for chart in charts
    ), [chart["text/plain"][:80] for chart in charts]
    help_text = subprocess.run(
        [sys.executable, "-m", "papermill", "--help-notebook", str(CLIENT_NOTEBOOK)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for parameter in ("workspace: str", "period: str", "client: str"):
        assert parameter in help_text
    assert_page_is_nbconverts(output)


def assert_page_is_nbconverts(notebook: Path) -> None:
    """The batch's page of ``notebook`` is the page nbconvert's own HTML exporter makes with the
    same template: the same elements, attributes (``alt`` and ``tabindex`` included) and text
    once read; only how the HTML is written out may differ (nbconvert writes its page out again
    through BeautifulSoup, so reading ours back that way must give nbconvert's page exactly)."""
    stock = HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        extra_loaders=[jinja2.DictLoader({"page.html.j2": _PAGE_TEMPLATE})],
        template_file="page.html.j2",
    )
    expected, _ = stock.from_notebook_node(nbformat.read(notebook, as_version=4))
    page = export_html(notebook).read_text(encoding="utf-8")
    assert str(BeautifulSoup(page, "html.parser")) == expected
    assert page.count('tabindex="0"') == expected.count('tabindex="0"') > 0


def test_a_page_has_nbconverts_alt_texts_and_tabindex_and_leaves_outputs_text_alone(
    tmp_path: Path,
) -> None:
    """Two images (one described by its output, one not), an HTML table, and outputs whose
    text looks like the tags that get the attributes: only the template's tags get them."""
    pixel = base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f3a3e0000000004945"
            "4e44ae426082"
        )
    ).decode()
    looks_like_tags = '<div class="jp-OutputArea-output" tabindex="5"><img src="x.png">'
    notebook = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# Title\n\nText with <b>bold</b> &amp; an ¶."),
            v4.new_code_cell(
                "show()",
                outputs=[
                    v4.new_output("display_data", {"image/png": pixel, "text/plain": "<chart>"}),
                    v4.new_output(
                        "display_data",
                        {
                            "text/html": f'<p>Described</p><img src="data:image/png;base64,{pixel}"'
                            ' alt="One pixel">'
                        },
                    ),
                    v4.new_output("stream", name="stdout", text=looks_like_tags),
                    v4.new_output(
                        "execute_result",
                        {
                            "text/html": "<table><tr><td>A &lt;div&gt;</td></tr></table>",
                            "text/plain": looks_like_tags,
                        },
                        execution_count=1,
                    ),
                ],
            ),
        ],
        metadata={"language_info": {"name": "python"}},
    )
    path = tmp_path / "page.ipynb"
    nbformat.write(notebook, path)
    assert_page_is_nbconverts(path)
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert page.count(f'alt="{NO_IMAGE_DESCRIPTION}"') == 1 and 'alt="One pixel"' in page
    soup = BeautifulSoup(page, "html.parser")
    assert looks_like_tags in soup.get_text() and not soup.select('[tabindex="5"]')


def test_a_clients_evidence_table_sums_each_line_side_file_and_item() -> None:
    """The notebook's Evidence table, from the hand-written result of ``tests.test_excel``
    with two more invoice rows for Acme's Microsoft 365 line (rows 15 and 16, 1 and 2 units
    beside row 14's 12): that line's used side reads 15 units from rows 14-16, in the order
    the lines first appear; its billed side and the EDR line keep their one row each."""
    from tests.test_excel import build_result
    from workbench.views import evidence_table

    result = build_result()
    more = result.evidence.iloc[[0, 0]].copy()
    more["source_row"], more["quantity"] = [16, 15], [2, 1]
    grown = dataclasses.replace(
        result, evidence=pd.concat([result.evidence, more], ignore_index=True)
    )
    invoice, premium = "microsoft/invoice-2026-10.csv", "Microsoft 365 Business Premium"
    assert evidence_table(grown.for_client("C100")).to_dict("records") == [
        {
            "Service": premium,
            "Side": "used",
            "Item": premium,
            "Quantity": 15,
            "Source file": invoice,
            "Rows": "14-16",
        },
        {
            "Service": premium,
            "Side": "billed",
            "Item": premium,
            "Quantity": 10,
            "Source file": "autotask/contract-services.csv",
            "Rows": "5",
        },
        {
            "Service": "Managed EDR",
            "Side": "used",
            "Item": "Managed EDR",
            "Quantity": 17,
            "Source file": "huntress/agents.xlsx",
            "Rows": "3",
        },
    ]


def test_a_clients_workbook_and_notebook_share_its_result_and_summary() -> None:
    """In a batch kernel the client's workbook, then its notebook, take the client's share of
    the stored result (``client_share``) and its summary (``summary_of``): the same objects for
    the same client, worked out once; another client gets its own, and a result that is not
    the last share gets its own summary."""
    from tests.test_excel import build_result
    from workbench.views import client_share, summary_of

    stored = build_result()
    acme = client_share(stored, "C100")
    assert client_share(stored, "C100") is acme
    assert summary_of(acme) is summary_of(acme)
    assert summary_of(acme) == acme.summary() == stored.for_client("C100").summary()
    other = client_share(stored, "C200")
    assert other is not acme and client_share(stored, "C200") is other
    assert summary_of(other) == stored.for_client("C200").summary() != summary_of(acme)
    assert summary_of(stored) == stored.summary()
    assert client_share(build_result(), "C200") is not other  # another stored result


def test_threads_writing_workbooks_at_once_each_keep_their_own_client() -> None:
    """The papermill executor writes workbooks on several threads: each thread keeps its own
    last client, so one thread's client never hands its summary to another's."""
    from tests.test_excel import build_result
    from workbench.views import client_share, summary_of

    stored = build_result()
    acme = client_share(stored, "C100")
    seen: list[object] = []
    other = threading.Thread(
        target=lambda: seen.extend(
            [client_share(stored, "C200"), summary_of(client_share(stored, "C200"))]
        )
    )
    other.start()
    other.join()
    birch, birch_summary = seen
    assert client_share(stored, "C100") is acme and summary_of(acme) == acme.summary()
    assert birch_summary == stored.for_client("C200").summary() != summary_of(acme)
    assert birch is not acme
