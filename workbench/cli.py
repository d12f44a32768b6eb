"""``workbench``: the command line face of the pipeline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.errors import WorkbenchError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="workbench", description="MSP billing reconciliation workbench"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="run the monthly batch: workbooks and notebooks for every client"
    )
    run.add_argument("--workspace", required=True, type=Path, help="folder holding workspace.toml")
    run.add_argument("--period", help="billing month YYYY-MM (default: the latest with inputs)")
    run.add_argument(
        "--outputs", default=Path("outputs"), type=Path, help="where results go (default: outputs)"
    )
    run.add_argument("--jobs", type=int, help="clients run at once (default: number of cores)")
    run.add_argument(
        "--client", action="append", help="only this client (PSA company id or name); repeatable"
    )
    run.add_argument(
        "--executor",
        choices=["warm", "papermill", "dask"],
        default="warm",
        help="how notebooks run: warm kernels kept from client to client (default), "
        "papermill (a new kernel per notebook) or dask (papermill on a Dask cluster)",
    )
    run.add_argument(
        "--scheduler", help="Dask scheduler address for --executor dask, e.g. tcp://10.0.0.5:8786"
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="keep what an interrupted run of the same inputs finished",
    )
    run.add_argument(
        "--cell-timeout",
        type=float,
        metavar="SECONDS",
        help="fail a client whose notebook cell runs longer than this (default: no limit)",
    )

    new = commands.add_parser("new-workspace", help="create an empty workspace for an MSP")
    new.add_argument("folder", type=Path, help="where to create it")
    new.add_argument("--name", required=True, help="the MSP's name, as shown on outputs")
    new.add_argument("--currency", default="USD", help="contract currency code (default: USD)")

    demo = commands.add_parser("demo-data", help="write the seeded demo workspace")
    demo.add_argument("folder", type=Path, help="where to write it, e.g. demo/workspace")
    demo.add_argument(
        "--psa-samples",
        type=Path,
        help="also write one small workspace per other PSA here, e.g. demo/psa-samples",
    )

    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            from workbench.batch import run_batch
            from workbench.workspace import Workspace

            period = args.period or _latest_period(Workspace.open(args.workspace))
            batch = run_batch(
                args.workspace,
                period,
                args.outputs,
                jobs=args.jobs,
                only=args.client,
                executor=args.executor,
                scheduler=args.scheduler,
                resume=args.resume,
                cell_timeout=args.cell_timeout,
            )
            for failed in batch.failed:
                print(f"error: {failed.client}: {failed.error}", file=sys.stderr)
            return 0 if batch.ok else 1
        if args.command == "new-workspace":
            from workbench.workspace import new_workspace

            created = new_workspace(args.folder, args.name, args.currency)
            print(
                f"Workspace created in {created.root}: fill in mappings.xlsx, then put each month's exports in periods/<YYYY-MM>/inputs/"
            )
            return 0
        from workbench.demo import write_demo_workspace, write_psa_samples

        if args.psa_samples:
            for sample in write_psa_samples(args.psa_samples):
                print(f"PSA sample written to {sample}")

        print(f"Demo workspace written to {write_demo_workspace(args.folder)}")
        return 0
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _latest_period(workspace: object) -> str:
    from workbench.workspace import Workspace

    assert isinstance(workspace, Workspace)
    periods = workspace.periods()
    if not periods:
        raise WorkbenchError(
            f"{workspace.root} has no periods with inputs (periods/<YYYY-MM>/inputs)"
        )
    return periods[-1]


if __name__ == "__main__":
    raise SystemExit(main())
