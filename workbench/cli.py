"""``workbench``: the command line face of the pipeline."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.logins import ROLES


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
    run.add_argument(
        "--jobs", type=_at_least_one, help="clients run at once (default: number of cores)"
    )
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
    run.add_argument(
        "--accept-changed-inputs",
        action="store_true",
        help="re-run a period whose input files changed since its last recorded run",
    )
    run.add_argument(
        "--no-ledger",
        action="store_true",
        help="neither check nor record the run in the workspace's ledger (inputs stay writable)",
    )

    review = commands.add_parser(
        "review", help="list the lines waiting for a decision, biggest money at stake first"
    )
    review.add_argument(
        "--workspace", required=True, type=Path, help="folder holding workspace.toml"
    )
    review.add_argument("--period", help="billing month YYYY-MM (default: the latest with inputs)")

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

    export = commands.add_parser(
        "export",
        help="write a period's review workbook and the PSA import files of its approved lines",
    )
    export.add_argument(
        "--workspace", required=True, type=Path, help="folder holding workspace.toml"
    )
    export.add_argument("--period", help="billing month YYYY-MM (default: the latest with inputs)")
    export.add_argument(
        "--outputs",
        default=Path("outputs"),
        type=Path,
        help="where results go, in a <period> folder (default: outputs)",
    )

    apply = commands.add_parser(
        "apply",
        help="record the decisions of an edited workbook in the ledger (the review workbook, "
        "a client's or the all-clients workbook, or the dashboard's)",
    )
    apply.add_argument(
        "workbook", type=Path, help="the workbook decided in, e.g. review-2026-10.xlsx"
    )
    apply.add_argument("--who", help="who decided (default: your login name)")
    apply.add_argument(
        "--workspace",
        type=Path,
        help="the workspace folder, if it moved since the workbook was written",
    )

    fetch = commands.add_parser(
        "fetch",
        help="fetch a period's exports from the systems' APIs into its inputs folder",
    )
    fetch.add_argument(
        "--workspace", required=True, type=Path, help="folder holding workspace.toml"
    )
    fetch.add_argument("--period", required=True, help="billing month YYYY-MM")
    fetch.add_argument(
        "--source",
        action="append",
        help="only this system (autotask, connectwise, microsoft, datto_rmm, huntress, pax8); "
        "repeatable (default: every [fetch.<source>] of workspace.toml)",
    )
    fetch.add_argument(
        "--again",
        action="store_true",
        help="fetch every file again, even those an earlier fetch of the period completed",
    )
    fetch.add_argument(
        "--invoice",
        help="Microsoft: the invoice to export (billed reconciliation), e.g. G052637185; "
        "without it, the month's unbilled export",
    )

    push = commands.add_parser(
        "push",
        help="send the approved and adjusted lines of a period to the PSA (a dry run unless "
        "--apply)",
    )
    push.add_argument("--workspace", required=True, type=Path, help="folder holding workspace.toml")
    push.add_argument("--period", required=True, help="billing month YYYY-MM")
    push.add_argument(
        "--apply",
        action="store_true",
        help="send the requests (default: print and save them, send nothing)",
    )
    push.add_argument(
        "--include-new-lines",
        action="store_true",
        help="also send the services proposed as new contract lines (unbilled usage)",
    )
    push.add_argument(
        "--outputs",
        default=Path("outputs"),
        type=Path,
        help="where the requests are saved, in a <period> folder (default: outputs)",
    )
    push.add_argument("--who", help="who sends them, for the ledger (default: your login name)")

    users = commands.add_parser(
        "users",
        help="dashboard logins: add, list, remove, change roles or passwords (kept hashed)",
    )
    users.add_argument(
        "--users",
        type=Path,
        help="the users file (default: $WORKBENCH_USERS or ~/.config/msp-workbench/users.json); "
        "keep it out of workspaces and outputs",
    )
    user_actions = users.add_subparsers(dest="action", required=True)
    add = user_actions.add_parser("add", help="add a login; asks for its password")
    add.add_argument("name", help="the login name, e.g. dana")
    add.add_argument(
        "--role",
        action="append",
        required=True,
        choices=ROLES,
        help="viewer (reads), reviewer (decides lines), mapper (edits mappings); repeatable",
    )
    password = user_actions.add_parser("password", help="set a login's password; asks for it")
    password.add_argument("name")
    for needs_password in (add, password):
        needs_password.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (for scripts)",
        )
    roles = user_actions.add_parser("roles", help="replace a login's roles")
    roles.add_argument("name")
    roles.add_argument("--role", action="append", required=True, choices=ROLES)
    remove = user_actions.add_parser("remove", help="remove a login")
    remove.add_argument("name")
    user_actions.add_parser("list", help="list the logins and their roles (never passwords)")

    dashboard = commands.add_parser(
        "dashboard",
        help="serve the dashboard: one person with a token URL, or a team with logins",
    )
    dashboard.add_argument(
        "--workspace", required=True, type=Path, help="folder holding workspace.toml"
    )
    dashboard.add_argument(
        "--users",
        type=Path,
        help="serve to a team: sign in with the logins of this users file (see `workbench "
        "users`); without it, one person opens the printed URL with its token",
    )
    dashboard.add_argument(
        "--ip",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only); any other needs "
        "--users and --certfile/--keyfile",
    )
    dashboard.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    dashboard.add_argument("--certfile", type=Path, help="TLS certificate (PEM), to serve HTTPS")
    dashboard.add_argument("--keyfile", type=Path, help="the certificate's private key (PEM)")
    dashboard.add_argument(
        "--pages",
        type=_at_least_one,
        help="most dashboard pages open at once, each one a kernel (default: voila.json's)",
    )
    dashboard.add_argument(
        "--idle-minutes",
        type=_at_least_one,
        help="close a page nobody has used for this long (default: voila.json's)",
    )

    args = parser.parse_args(argv)
    try:
        status = _command(args)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at the interpreter's exit
        return status
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `workbench review | head`: the reader has read enough. Nothing more to say, and the
        # interpreter must not fail flushing into the closed pipe on its way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.errno not in _STORAGE_ERRORS:
            raise
        print(
            f"error: cannot write {exc.filename or 'a file'}: {exc.strerror}. Free some space "
            "or choose a folder you can write in, then run again (a batch: with --resume)",
            file=sys.stderr,
        )
        return 2


def _command(args: argparse.Namespace) -> int:
    if args.command == "run":
        return _run(args)
    if args.command == "review":
        return _review(args)
    if args.command == "export":
        return _export(args)
    if args.command == "apply":
        return _apply(args)
    if args.command == "users":
        return _users(args)
    if args.command == "fetch":
        return _fetch(args)
    if args.command == "push":
        return _push(args)
    if args.command == "dashboard":
        return _dashboard(args)
    if args.command == "new-workspace":
        from workbench.workspace import new_workspace

        created = new_workspace(args.folder, args.name, args.currency)
        print(
            f"Workspace created in {created.root}: fill in mappings.xlsx, then put each month's exports in periods/<YYYY-MM>/inputs/"
        )
        return 0
    from demodata import write_demo_workspace, write_psa_samples

    if args.psa_samples:
        for sample in write_psa_samples(args.psa_samples):
            print(f"PSA sample written to {sample}")

    print(f"Demo workspace written to {write_demo_workspace(args.folder)}")
    return 0


#: Errors of the storage a user can act on: full, over quota, read-only, not allowed.
_STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def _at_least_one(text: str) -> int:
    """``--jobs``: a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of jobs: give 1 or more")
    return value


def _run(args: argparse.Namespace) -> int:
    """The monthly batch, checked against and recorded in the ledger unless ``--no-ledger``."""
    from workbench.batch import run_batch
    from workbench.history import check_inputs, record_period_run
    from workbench.ledger import Ledger, ledger_path
    from workbench.period import Period
    from workbench.store import load_result

    # A mistyped period is refused before a ledger is created.
    month = Period.open(args.workspace, args.period)
    workspace, period = month.workspace, month.name
    ledger = None if args.no_ledger else Ledger.open(ledger_path(workspace))
    try:
        if ledger is not None:
            changes = check_inputs(
                ledger, workspace, period, accept_changed=args.accept_changed_inputs
            )
            if changes:
                print(
                    f"Inputs of {period} changed since run {changes.run_id}; reconciling the new "
                    f"ones as asked:\n{changes.describe()}"
                )
        batch = run_batch(
            workspace.root,
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
        if ledger is not None:
            # The exact result the batch's notebooks showed, not a second reconciliation.
            assert batch.result_folder is not None
            result = load_result(batch.result_folder)
            run_id = record_period_run(
                ledger, workspace, result, changes.checksums, who=_who_runs()
            )
            print(
                f"Run {run_id} recorded in {ledger.path}; the {len(changes.checksums)} input "
                f"files of {period} are kept read-only"
            )
        return 0 if batch.ok else 1
    finally:
        if ledger is not None:
            ledger.close()


def _review(args: argparse.Namespace) -> int:
    """Print the lines to review, pending and changed ones first, and what is decided."""
    import pandas as pd

    from workbench.ledger import Ledger, ledger_to_read
    from workbench.money import format_money
    from workbench.period import Period

    month = Period.open(args.workspace, args.period)
    workspace, period = month.workspace, month.name
    result = month.result()
    if month.changes:
        print(f"The period store was made again: {'; '.join(month.changes)}", file=sys.stderr)
    with Ledger.open(ledger_to_read(workspace)) as ledger:
        review = ledger.review(result)
    states = review["state"].value_counts()
    decided = review.loc[review["state"] == "decided", "decision"].value_counts()
    print(
        f"{workspace.name}, {period}: {len(review)} lines to review: "
        f"{states.get('pending', 0)} pending, {states.get('changed', 0)} changed since decided, "
        f"{states.get('decided', 0)} decided ({decided.get('approve', 0)} approved, "
        f"{decided.get('adjust', 0)} adjusted, {decided.get('dismiss', 0)} dismissed)"
    )
    for warning in result.mapping_warnings:
        print(f"warning: {warning}")
    if review.empty:
        return 0
    # Work still to do first; the review is already by money at stake within each group.
    order = review["state"].map({"pending": 0, "changed": 0, "decided": 1})
    review = review.iloc[order.argsort(kind="stable")]
    header = (
        f"{'state':<8} {'at stake':>11}  {'client':<26} {'service':<34} {'status':<20} "
        f"{'billed':>6} {'used':>6}  decision"
    )
    print(header)
    for line in review.to_dict("records"):
        used = "" if pd.isna(line["expected_quantity"]) else str(line["expected_quantity"])
        decision = str(line["decision"])
        if line["quantity"] is not None:
            decision += f" to {line['quantity']}"
        if line["who"]:
            decision += f" by {line['who']}"
        print(
            f"{line['state']:<8} {format_money(abs(line['revenue_impact']), result.currency):>11}  "
            f"{_cut(line['company_name'], 26):<26} {_cut(line['service_name'], 34):<34} "
            f"{line['status']:<20} {line['billed_quantity']:>6} {used:>6}  {decision}".rstrip()
        )
    return 0


def _cut(text: object, width: int) -> str:
    """Text cut to a column's width, marking the cut."""
    value = str(text)
    return value if len(value) <= width else value[: width - 1] + "…"


def _who_runs() -> str:
    """The person running the command, as the operating system knows them."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "unknown"


def _users(args: argparse.Namespace) -> int:
    """Edit the users file; passwords are asked for and only their hashes written."""
    from workbench import logins

    path = args.users or logins.default_users_file()
    if args.action == "list":
        accounts = logins.read_accounts(path)
        for account in sorted(accounts.values(), key=lambda each: each.name):
            print(account.login.described)
        print(f"{len(accounts)} logins in {path}")
        return 0
    if args.action == "add":
        account = logins.add_account(path, args.name, args.role, _new_password(args))
        print(f"Added {account.login.described} to {path}")
    elif args.action == "password":
        account = logins.set_password(path, args.name, _new_password(args))
        print(f"Password of {account.name} changed in {path}; its open pages are signed out")
    elif args.action == "roles":
        account = logins.set_roles(path, args.name, args.role)
        print(f"{account.login.described} in {path}; pages opened from now on have these roles")
    else:
        account = logins.remove_account(path, args.name)
        print(f"Removed {account.name} from {path}; its open pages are signed out")
    return 0


def _new_password(args: argparse.Namespace) -> str:
    """The password to set: typed twice at the terminal, or one line of standard input."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("The same password again: ") != password:
        raise WorkbenchError("the two passwords differ; nothing was changed")
    return password


def _dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard until interrupted (Ctrl+C)."""
    from workbench.dashboard.server import serve_dashboard

    serve_dashboard(
        args.workspace,
        users=args.users,
        ip=args.ip,
        port=args.port,
        certfile=args.certfile,
        keyfile=args.keyfile,
        pages=args.pages,
        idle_minutes=args.idle_minutes,
    )
    return 0


def _fetch(args: argparse.Namespace) -> int:
    """Fetch the period's exports; 1 if a system failed (the others are still written)."""
    from workbench.fetch import fetch_period
    from workbench.workspace import Workspace, check_period

    workspace = Workspace.open(args.workspace)
    report = fetch_period(
        workspace,
        check_period(args.period),
        args.source or (),
        again=args.again,
        invoice=args.invoice,
    )
    print(report.describe())
    return 0 if report.ok else 1


def _push(args: argparse.Namespace) -> int:
    """Send (or with no --apply, show and save) the period's approved changes."""
    from workbench.push import push_period
    from workbench.workspace import Workspace, check_period

    workspace = Workspace.open(args.workspace)
    report = push_period(
        workspace,
        check_period(args.period),
        apply=args.apply,
        include_new_lines=args.include_new_lines,
        outputs=args.outputs,
        who=args.who or _who_runs(),
    )
    print(report.describe())
    return 0 if report.ok else 1


def _export(args: argparse.Namespace) -> int:
    from workbench.outputs.workbook_review import export_review
    from workbench.period import Period

    month = Period.open(args.workspace, args.period)
    print(f"Opening {month.workspace.name}, {month.name}...", file=sys.stderr)
    exported = export_review(month.workspace, month.name, args.outputs)
    print(exported.describe())
    return 0


def _apply(args: argparse.Namespace) -> int:
    import getpass

    from workbench.outputs.workbook_review import apply_review_workbook

    applied = apply_review_workbook(
        args.workbook, who=args.who or getpass.getuser(), workspace=args.workspace
    )
    print(applied.describe(args.workbook))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
