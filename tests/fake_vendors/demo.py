"""``make demo-fetch``: the whole loop against the fake vendor APIs, on a copy of the demo.

1. start the fake vendors on a free local port (they answer with the demo month's records);
2. copy the demo workspace, remove the exports the APIs give back (Autotask, Microsoft's
   new-commerce file, Datto RMM, Huntress, Pax8), and name the APIs in its ``workspace.toml``,
   with credentials in environment variables as an MSP would keep them;
3. ``workbench fetch`` the month, run again to show that complete files are kept;
4. approve every proposed change (what a reviewer does in the dashboard or the review
   workbook), then ``workbench push``: a dry run that prints and saves the exact requests.

Run it with ``python -m tests.fake_vendors.demo [--workspace FOLDER]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from tests.fake_vendors import server
from tests.fake_vendors.server import FakeVendors
from workbench.cli import main as workbench
from workbench.fetch.credentials import variable_name
from workbench.ledger import Ledger, ledger_path
from workbench.period import Period
from workbench.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "workspace"
PERIOD = "2026-10"
INVOICE = "G052637185"
FETCHED = ("autotask", "datto_rmm", "huntress", "pax8", f"microsoft/Reconciliation_{INVOICE}.csv")


def set_up(root: Path, vendors: FakeVendors) -> Workspace:
    """A copy of the demo whose fetched vendors' exports are removed and whose APIs are named."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("store", "ledger.sqlite*"))
    inputs = root / "periods" / PERIOD / "inputs"
    for name in FETCHED:
        path = inputs / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    url = vendors.url
    settings = root / "workspace.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + f"""
# How to reach each system (credentials: environment variables or the OS keyring, by name).
[fetch]
timeout = 10
retries = 3
backoff = 0.2
max_wait = 10
poll_interval = 0.2

[fetch.autotask]
base_url = "{url}/autotask/ATServicesRest/V1.0"

[fetch.microsoft]
base_url = "{url}/graph/v1.0"
token_url = "{url}/login/{server.MICROSOFT["tenant_id"]}/oauth2/v2.0/token"

[fetch.datto_rmm]
base_url = "{url}/datto"

[fetch.huntress]
base_url = "{url}/huntress"

[fetch.pax8]
base_url = "{url}/pax8/v1"
""",
        encoding="utf-8",
    )
    for name, credentials in (
        ("autotask", server.AUTOTASK),
        ("microsoft", server.MICROSOFT),
        ("datto_rmm", server.DATTO),
        ("huntress", server.HUNTRESS),
        ("pax8", server.PAX8),
    ):
        for part, value in credentials.items():
            os.environ[variable_name(name, part)] = value
    return Workspace.open(root)


def run(root: Path, outputs: Path) -> int:
    """The loop; 0 when every step worked."""
    with FakeVendors(DEMO / "periods" / PERIOD / "inputs") as vendors:
        print(f"Fake vendor APIs answering at {vendors.url}")
        workspace = set_up(root, vendors)
        print(f"Demo workspace copied to {workspace.root}, its vendor exports removed\n")
        common = ["--workspace", str(workspace.root), "--period", PERIOD]
        print(f"$ workbench fetch {' '.join(common)} --invoice {INVOICE}", flush=True)
        status = workbench(["fetch", *common, "--invoice", INVOICE])
        print(f"\n$ workbench fetch {' '.join(common)} --invoice {INVOICE}   (again)", flush=True)
        status = status or workbench(["fetch", *common, "--invoice", INVOICE])
        result = Period.open(workspace, PERIOD).result()
        with Ledger.open(ledger_path(workspace)) as ledger:
            ledger.decide_many(
                PERIOD, [line for _, line in result.adjustments.iterrows()], "approve", who="demo"
            )
        print(
            f"\nApproved the {len(result.adjustments)} proposed changes as 'demo' (a reviewer "
            "decides them in the dashboard or the review workbook)\n"
        )
        push = ["push", *common, "--outputs", str(outputs)]
        print(f"$ workbench {' '.join(push)}", flush=True)
        status = status or workbench(push)
        sent = len(vendors.created)
    print(
        f"\nNothing was sent ({sent} requests reached the fake Autotask): --apply would send them"
    )
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workspace",
        type=Path,
        default=Path(tempfile.gettempdir()) / "msp-workbench-demo-fetch",
        help="where the demo copy goes (replaced if it exists)",
    )
    parser.add_argument("--outputs", type=Path, default=Path("outputs"))
    args = parser.parse_args(argv)
    return run(args.workspace, args.outputs)


if __name__ == "__main__":
    sys.exit(main())
