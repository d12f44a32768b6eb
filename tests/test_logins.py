"""Logins: the users file ``workbench users`` keeps, and who a dashboard page is signed in as.

Every test writes its own users file in a private temporary folder, through the real command
(``workbench users``, in a subprocess, the password on standard input) or
:mod:`workbench.logins`; passwords are checked with jupyter_server's argon2 hashing, never mocked.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT
from workbench.errors import InputError, WorkbenchError
from workbench.logins import (
    ROLES,
    Login,
    add_account,
    check_password,
    page_login,
    password_stamp,
    read_accounts,
    remove_account,
    set_password,
    set_roles,
)

PASSWORD = "quarterly-close-2026"


def _workbench(*arguments: str, password: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *arguments],
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


@pytest.fixture
def users(tmp_path: Path) -> Path:
    return tmp_path / "config" / "users.json"


def test_an_admin_adds_lists_changes_and_removes_logins(users: Path) -> None:
    added = _workbench(
        "users", "--users", str(users), "add", "Dana", "--role", "reviewer", "--role", "mapper",
        "--password-stdin", password=PASSWORD,
    )  # fmt: skip
    _workbench(
        "users", "--users", str(users), "add", "vera", "--role", "viewer", "--password-stdin",
        password=PASSWORD + "-v",
    )  # fmt: skip
    listed = _workbench("users", "--users", str(users), "list")
    stamp = password_stamp(read_accounts(users)["dana"])
    roles = _workbench("users", "--users", str(users), "roles", "vera", "--role", "reviewer")
    changed = _workbench(
        "users", "--users", str(users), "password", "dana", "--password-stdin",
        password="a new password",
    )  # fmt: skip
    removed = _workbench("users", "--users", str(users), "remove", "vera")

    assert (added.returncode, added.stderr) == (0, "")
    assert added.stdout == f"Added dana (reviewer, mapper) to {users}\n"
    assert listed.stdout == f"dana (reviewer, mapper)\nvera (viewer)\n2 logins in {users}\n"
    assert roles.stdout == (
        f"vera (reviewer) in {users}; pages opened from now on have these roles\n"
    )
    assert changed.stdout == (
        f"Password of dana changed in {users}; its open pages are signed out\n"
    )
    assert removed.stdout == f"Removed vera from {users}; its open pages are signed out\n"
    accounts = read_accounts(users)
    assert list(accounts) == ["dana"]
    assert accounts["dana"].roles == frozenset({"reviewer", "mapper"})
    assert password_stamp(accounts["dana"]) != stamp  # the old cookies are worthless now
    assert check_password(accounts, "dana", "a new password") == accounts["dana"]
    assert check_password(accounts, "dana", PASSWORD) is None


def test_the_users_file_is_private_and_holds_only_hashes(users: Path) -> None:
    add_account(users, "dana", ["reviewer"], PASSWORD)

    text = users.read_text(encoding="utf-8")
    content = json.loads(text)
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    assert stat.S_IMODE(users.parent.stat().st_mode) == 0o700
    assert PASSWORD not in text
    assert content["users"]["dana"]["roles"] == ["reviewer"]
    assert content["users"]["dana"]["password"].startswith("argon2:$argon2id$")
    assert [p.name for p in users.parent.iterdir()] == ["users.json"]  # no temporary file left


def test_a_users_file_others_may_read_is_refused(users: Path) -> None:
    add_account(users, "dana", ["reviewer"], PASSWORD)
    users.chmod(0o644)

    with pytest.raises(WorkbenchError) as refused:
        read_accounts(users)

    assert str(refused.value) == (
        f"the users file {users} may be read by other accounts on this machine (permissions "
        f"-rw-r--r--): make it private with `chmod 600 {users}`"
    )


@pytest.mark.parametrize(
    ("name", "roles", "password", "problem"),
    [
        ("dana", ["reviewer"], "short", "a password needs at least 10 characters"),
        ("da na", ["reviewer"], PASSWORD, "'da na' cannot be a login name"),
        ("dana", ["boss"], PASSWORD, "choose roles among viewer, reviewer, mapper"),
        ("dana", [], PASSWORD, "choose roles among viewer, reviewer, mapper"),
    ],
)
def test_a_login_that_cannot_be_added_changes_nothing(
    users: Path, name: str, roles: list[str], password: str, problem: str
) -> None:
    with pytest.raises(WorkbenchError) as refused:
        add_account(users, name, roles, password)

    assert str(refused.value).startswith(problem)
    assert not users.exists()


def test_a_taken_name_and_an_unknown_login_say_what_to_do(users: Path) -> None:
    add_account(users, "dana", ["reviewer"], PASSWORD)

    with pytest.raises(WorkbenchError) as taken:
        add_account(users, "DANA", ["viewer"], PASSWORD)
    with pytest.raises(WorkbenchError) as unknown:
        set_roles(users, "lee", ["mapper"])
    with pytest.raises(WorkbenchError, match="lee is not a login"):
        set_password(users, "lee", PASSWORD)
    with pytest.raises(WorkbenchError, match="lee is not a login"):
        remove_account(users, "lee")

    assert str(taken.value).startswith(f"dana is already a login in {users}: change its roles")
    assert str(unknown.value) == f"lee is not a login in {users} (logins: dana)"


def test_a_missing_or_damaged_users_file_says_so(users: Path, tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"there is no users file .*workbench users add"):
        read_accounts(users)
    damaged = tmp_path / "damaged.json"
    damaged.write_text('{"users": {"dana": {"roles": ["reviewer"], "password": "x"}}}')
    damaged.chmod(0o600)
    with pytest.raises(InputError, match="login dana has no argon2 password hash"):
        read_accounts(damaged)


def test_a_wrong_password_or_an_unknown_name_signs_nobody_in(users: Path) -> None:
    add_account(users, "dana", ["reviewer"], PASSWORD)
    accounts = read_accounts(users)

    assert check_password(accounts, " Dana ", PASSWORD) == accounts["dana"]
    assert check_password(accounts, "dana", PASSWORD.upper()) is None
    assert check_password(accounts, "lee", PASSWORD) is None


def test_a_page_learns_its_login_from_what_the_server_passed_its_kernel() -> None:
    passed = {"HTTP_X_WORKBENCH_LOGIN": "dana", "HTTP_X_WORKBENCH_ROLES": "mapper,reviewer"}

    assert page_login(passed) == Login("dana", frozenset({"reviewer", "mapper"}))
    assert page_login({**passed, "HTTP_X_WORKBENCH_ROLES": "reviewer,admin"}) == Login(
        "dana", frozenset({"reviewer"})
    )  # no role beyond the known ones
    assert page_login({}) is None  # no logins: one person, or a notebook
    assert Login("vera", frozenset()).described == "vera (viewer)"
    with pytest.raises(WorkbenchError, match="this page did not receive who is signed in"):
        page_login({"WORKBENCH_LOGINS": "required"})


def test_the_command_offers_exactly_the_roles_there_are() -> None:
    helped = _workbench("users", "add", "--help")

    assert "{" + ",".join(ROLES) + "}" in helped.stdout


# --- what the server refuses to expose -------------------------------------------------------


def test_serving_beyond_this_machine_without_logins_is_refused() -> None:
    served = _workbench("dashboard", "--workspace", str(DEMO), "--ip", "0.0.0.0")

    assert served.returncode == 2
    assert served.stderr.endswith(
        "error: --ip 0.0.0.0 lets other machines open the dashboard, and without logins anyone "
        "there could read every client's billing and decide. Serve a team with logins: add "
        "them with `workbench users add NAME --role reviewer`, then run with --users FILE; or "
        "keep --ip 127.0.0.1 for yourself\n"
    )


def test_serving_beyond_this_machine_without_https_is_refused(team_users: Path) -> None:
    served = _workbench(
        "dashboard", "--workspace", str(DEMO), "--ip", "0.0.0.0", "--users", str(team_users)
    )

    assert served.returncode == 2
    assert served.stderr.endswith(
        "error: --ip 0.0.0.0 without HTTPS would send passwords and billing across the network "
        "in clear: give --certfile and --keyfile, or keep --ip 127.0.0.1 behind an HTTPS "
        "reverse proxy\n"
    )


def test_a_users_file_inside_the_workspace_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "workspace.toml").write_text('[workspace]\nname = "Tiny MSP"\n')
    add_account(workspace / "users.json", "dana", ["reviewer"], PASSWORD)

    served = _workbench(
        "dashboard", "--workspace", str(workspace), "--users", str(workspace / "users.json")
    )

    assert served.returncode == 2
    assert "error: the users file " in served.stderr
    assert "is inside the workspace" in served.stderr
    assert "passwords are not workspace data" in served.stderr
