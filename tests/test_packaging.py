"""The project's own promises: no drift, clean notebooks, a reproducible demo."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import openpyxl
import pytest
import yaml

from demodata import write_demo_workspace
from tests.conftest import DEMO, ROOT
from workbench.errors import InputError
from workbench.ledger import LEDGER_FILE
from workbench.mapping import OPTIONAL_SHEETS, SHEETS, Mappings, mappings_book
from workbench.store import STORE_FOLDER
from workbench.workspace import Workspace


def test_environment_yml_hands_off_exactly_the_pyproject_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = [item for item in environment["dependencies"] if isinstance(item, str)]
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    assert f"python{project['requires-python']}" in conda
    assert "pip" in conda
    assert [spec for spec in pip if not spec.startswith("-e")] == project["dependencies"]
    assert "-e .[test]" in pip
    assert set(project["optional-dependencies"]) == {"test"}


def test_committed_notebooks_carry_no_outputs() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "notebooks/client_reconciliation.ipynb" in tracked
    for name in tracked:
        notebook = json.loads((ROOT / name).read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [], name
                assert cell["execution_count"] is None, name


def test_notebooks_have_a_tagged_parameters_cell_of_annotated_literals() -> None:
    for name in ("client_reconciliation.ipynb", "portfolio.ipynb"):
        notebook = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
        tagged = [
            cell
            for cell in notebook["cells"]
            if "parameters" in cell.get("metadata", {}).get("tags", [])
        ]
        assert len(tagged) == 1, name
        lines = "".join(tagged[0]["source"]).splitlines()
        assert lines and all(": str = " in line and "  # " in line for line in lines), name


def test_the_demo_generator_reproduces_the_shipped_workspace(tmp_path: Path) -> None:
    fresh = write_demo_workspace(tmp_path / "demo")
    shipped_files = sorted(
        p.relative_to(DEMO)
        for p in DEMO.rglob("*")
        # `make demo` records its runs in the ledger and stores the month in the period store.
        if p.is_file()
        and not p.name.startswith(LEDGER_FILE)
        and STORE_FOLDER not in p.relative_to(DEMO).parts
    )
    assert sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()) == shipped_files
    for relative in shipped_files:
        if relative.suffix == ".xlsx":
            shipped, regenerated = (
                openpyxl.load_workbook(root / relative) for root in (DEMO, fresh)
            )
            assert shipped.sheetnames == regenerated.sheetnames
            for sheet in shipped.sheetnames:
                assert list(shipped[sheet].values) == list(regenerated[sheet].values), (
                    relative,
                    sheet,
                )
        else:
            assert (fresh / relative).read_bytes() == (DEMO / relative).read_bytes(), relative


def test_the_mappings_template_is_what_the_code_builds_and_reads_clean() -> None:
    template = ROOT / "templates" / "mappings.xlsx"
    shipped = openpyxl.load_workbook(template)
    built = mappings_book()
    assert shipped.sheetnames == built.sheetnames == [*SHEETS, *OPTIONAL_SHEETS]
    for sheet in built.sheetnames:
        assert list(shipped[sheet].values) == list(built[sheet].values)
        assert shipped[sheet].column_dimensions["B"].number_format == "@"  # ids stay text
    assert Mappings.read(template) == Mappings()


def test_new_workspace_starts_from_the_templates(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "new-workspace", str(tmp_path / "acme"), "--name", 'Acme "IT" Ltd', "--currency", "EUR"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    assert "Workspace created in" in finished.stdout
    workspace = Workspace.open(tmp_path / "acme")
    assert (workspace.name, workspace.currency, workspace.periods()) == ('Acme "IT" Ltd', "EUR", [])
    again = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "new-workspace", str(tmp_path / "acme"), "--name", "Other"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert again.returncode == 2 and "is already a workspace: nothing was changed" in again.stderr


def test_workspace_date_order_is_checked(tmp_path: Path) -> None:
    (tmp_path / "workspace.toml").write_text(
        '[workspace]\nname = "X"\ndate_order = "dmy"\n', encoding="utf-8"
    )
    assert Workspace.open(tmp_path).date_order == "DMY"
    (tmp_path / "workspace.toml").write_text(
        '[workspace]\nname = "X"\ndate_order = "YMD"\n', encoding="utf-8"
    )
    with pytest.raises(InputError, match="date_order 'YMD' is not known"):
        Workspace.open(tmp_path)
