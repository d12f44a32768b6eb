"""Dashboard logins: who may sign in, with which roles, and who a page is signed in as.

A team's logins live in one **users file** (JSON) that an admin edits with ``workbench users``,
never by hand and never in a workspace or the outputs (credentials are not data): by default
``~/.config/msp-workbench/users.json``, or the file ``WORKBENCH_USERS`` or ``--users`` names.
It holds, per login, its roles and an argon2 hash of its password (jupyter_server's
:func:`~jupyter_server.auth.passwd`); a password itself is never written anywhere. The file is
written private to its owner (mode 600) and refused when other accounts may read it, as ssh
refuses a key.

Roles add to reading, which every login may do:

========  ===========================================================
viewer    reads the dashboard
reviewer  decides lines (approve, adjust, dismiss, undo) in the review
mapper    edits ``mappings.xlsx`` in the mapping review
========  ===========================================================

A page learns who is signed in from the server, never from the browser: the server puts the
login and its roles into two request headers after checking the login cookie, overwriting
whatever the browser sent (:mod:`workbench.dashboard.server`), and Voila hands them to the
page's kernel as ``HTTP_X_WORKBENCH_LOGIN`` and ``HTTP_X_WORKBENCH_ROLES``
(:func:`page_login`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import InputError, WorkbenchError

__all__ = [
    "LOGINS_VARIABLE",
    "LOGIN_HEADER",
    "MAPPER",
    "MIN_PASSWORD_LENGTH",
    "REVIEWER",
    "ROLES",
    "ROLES_HEADER",
    "USERS_VARIABLE",
    "VIEWER",
    "Account",
    "Login",
    "add_account",
    "check_password",
    "default_users_file",
    "page_login",
    "password_stamp",
    "read_accounts",
    "remove_account",
    "set_password",
    "set_roles",
    "stamps_match",
]

VIEWER, REVIEWER, MAPPER = "viewer", "reviewer", "mapper"
ROLES = (VIEWER, REVIEWER, MAPPER)
MIN_PASSWORD_LENGTH = 10

#: Request headers the server sets from the checked login (any the browser sent are replaced).
LOGIN_HEADER = "X-Workbench-Login"
ROLES_HEADER = "X-Workbench-Roles"
#: Set to "required" in the server's environment (so in every kernel's) when logins are on.
LOGINS_VARIABLE = "WORKBENCH_LOGINS"
#: Names the users file when ``--users`` does not.
USERS_VARIABLE = "WORKBENCH_USERS"

_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_HASH_PREFIX = "argon2:"
_ABOUT = (
    "Dashboard logins of the MSP billing workbench. Edit with `workbench users`, not by hand: "
    "passwords are kept only as argon2 hashes."
)


@dataclass(frozen=True)
class Login:
    """Who a dashboard page is signed in as, and what the login may do there.

    Attributes
    ----------
    name
        The login name: what the ledger records as who decided or mapped.
    roles
        The login's roles (:data:`ROLES`).
    """

    name: str
    roles: frozenset[str]

    @property
    def may_decide(self) -> bool:
        return REVIEWER in self.roles

    @property
    def may_map(self) -> bool:
        return MAPPER in self.roles

    @property
    def described(self) -> str:
        """``dana (reviewer, mapper)``."""
        shown = [role for role in ROLES if role in self.roles] or [VIEWER]
        return f"{self.name} ({', '.join(shown)})"

    def refusal(self, part: str, action: str, role: str) -> str:
        """Why this login may not do ``action`` in a ``part`` of the page, and the command that
        would let it: roles are replaced, so the command keeps the ones it has."""
        wanted = [each for each in ROLES if each in self.roles | {role} and each != VIEWER]
        return (
            f"{self.described} may read {part} but not {action}: that needs the {role} role "
            f"(an admin gives it with `workbench users roles {self.name} "
            f"{' '.join(f'--role {each}' for each in wanted)}`)."
        )


@dataclass(frozen=True)
class Account:
    """One login in the users file.

    Attributes
    ----------
    name
        The login name (lower case).
    roles
        Its roles (:data:`ROLES`).
    password_hash
        ``argon2:$argon2id$...``, as :func:`jupyter_server.auth.passwd` makes it.
    """

    name: str
    roles: frozenset[str]
    password_hash: str

    @property
    def login(self) -> Login:
        return Login(self.name, self.roles)


def default_users_file() -> Path:
    """``$WORKBENCH_USERS``, else ``~/.config/msp-workbench/users.json`` (``$XDG_CONFIG_HOME``)."""
    named = os.environ.get(USERS_VARIABLE)
    if named:
        return Path(named)
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "msp-workbench" / "users.json"


def read_accounts(path: Path) -> dict[str, Account]:
    """The logins in a users file, by name.

    Raises
    ------
    WorkbenchError
        When the file is missing, or other accounts on this machine may read it.
    InputError
        When it is not a users file ``workbench users`` wrote.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise WorkbenchError(
            f"there is no users file {path}: add the first login with "
            f"`workbench users add NAME --role reviewer --users {path}`"
        ) from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise WorkbenchError(
            f"the users file {path} may be read by other accounts on this machine "
            f"(permissions {stat.filemode(mode)}): make it private with `chmod 600 {path}`"
        )
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"is not a users file ({error})") from error
    users = content.get("users") if isinstance(content, dict) else None
    if not isinstance(users, dict):
        raise InputError(path, "is not a users file", expected='{"users": {...}}')
    return {name: _account(path, name, entry) for name, entry in users.items()}


def add_account(path: Path, name: str, roles: Iterable[str], password: str) -> Account:
    """Add a login to the users file (created, private, when it does not exist yet).

    Raises
    ------
    WorkbenchError
        When the name is taken or not a login name, a role is unknown, or the password is
        shorter than :data:`MIN_PASSWORD_LENGTH`.
    """
    path = Path(path)
    accounts = read_accounts(path) if path.exists() else {}
    name = _login_name(name)
    if name in accounts:
        raise WorkbenchError(
            f"{name} is already a login in {path}: change its roles with "
            f"`workbench users roles {name} --role ...` or its password with "
            f"`workbench users password {name}`"
        )
    account = Account(name, _roles(roles), _hashed(password))
    _write(path, {**accounts, name: account})
    return account


def set_password(path: Path, name: str, password: str) -> Account:
    """Give a login a new password; pages signed in with the old one are signed out."""
    accounts = read_accounts(path)
    account = _existing(path, accounts, name)
    changed = Account(account.name, account.roles, _hashed(password))
    _write(path, {**accounts, account.name: changed})
    return changed


def set_roles(path: Path, name: str, roles: Iterable[str]) -> Account:
    """Replace a login's roles; a page opened after the change has the new ones."""
    accounts = read_accounts(path)
    account = _existing(path, accounts, name)
    changed = Account(account.name, _roles(roles), account.password_hash)
    _write(path, {**accounts, account.name: changed})
    return changed


def remove_account(path: Path, name: str) -> Account:
    """Remove a login; its pages are signed out at their next request."""
    accounts = read_accounts(path)
    account = _existing(path, accounts, name)
    _write(path, {each: kept for each, kept in accounts.items() if each != account.name})
    return account


def check_password(accounts: Mapping[str, Account], name: str, password: str) -> Account | None:
    """The account whose name and password these are, else None.

    An unknown name costs as long as a wrong password, so the time taken does not tell which
    names exist.
    """
    from jupyter_server.auth.security import passwd_check

    account = accounts.get(name.strip().lower())
    if account is None:
        passwd_check(_DECOY_HASH, password)
        return None
    return account if passwd_check(account.password_hash, password) else None


def password_stamp(account: Account) -> str:
    """A short fingerprint of the account's password hash, kept in its login cookie: a new
    password (or a removed login) makes the cookies signed before it worthless."""
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


def stamps_match(account: Account, stamp: str) -> bool:
    return hmac.compare_digest(password_stamp(account), stamp)


def page_login(environ: Mapping[str, str] | None = None) -> Login | None:
    """Who the dashboard page is signed in as, from what the server passed its kernel.

    Returns
    -------
    Login or None
        None when the server runs without logins (one person, a token URL) or the dashboard
        is built outside a server (a notebook).

    Raises
    ------
    WorkbenchError
        When the server requires logins but this page's kernel received none: nothing on the
        page may then be changed.
    """
    variables = os.environ if environ is None else environ
    name = variables.get(_variable(LOGIN_HEADER), "").strip()
    if not name:
        if variables.get(LOGINS_VARIABLE) == "required":
            raise WorkbenchError(
                "this page did not receive who is signed in, so it shows nothing: reload it, "
                "and sign in again if asked"
            )
        return None
    roles = {role.strip() for role in variables.get(_variable(ROLES_HEADER), "").split(",")}
    return Login(name, frozenset(roles & set(ROLES)))


# --- the file --------------------------------------------------------------------------------


def _variable(header: str) -> str:
    """The environment variable Voila makes of a request header (RFC 3875, 4.1.18)."""
    return "HTTP_" + header.upper().replace("-", "_")


def _account(path: Path, name: object, entry: Any) -> Account:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or not isinstance(entry, dict):
        raise InputError(path, f"holds an entry that is not a login: {name!r}")
    roles, password_hash = entry.get("roles"), entry.get("password")
    if not isinstance(roles, list) or not set(roles) <= set(ROLES):
        raise InputError(path, f"login {name} has unknown roles {roles!r}", expected=str(ROLES))
    if not isinstance(password_hash, str) or not password_hash.startswith(_HASH_PREFIX):
        raise InputError(
            path,
            f"login {name} has no argon2 password hash: set one with "
            f"`workbench users password {name} --users {path}`",
        )
    return Account(name, frozenset(roles), password_hash)


def _existing(path: Path, accounts: Mapping[str, Account], name: str) -> Account:
    account = accounts.get(name.strip().lower())
    if account is None:
        known = ", ".join(sorted(accounts)) or "none"
        raise WorkbenchError(f"{name} is not a login in {path} (logins: {known})")
    return account


def _login_name(name: str) -> str:
    cleaned = name.strip().lower()
    if not _NAME.fullmatch(cleaned):
        raise WorkbenchError(
            f"{name!r} cannot be a login name: use letters, digits and . _ - @ (up to 64), "
            "starting with a letter or digit, e.g. dana or dana.lee"
        )
    return cleaned


def _roles(roles: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(role.strip().lower() for role in roles)
    unknown = sorted(chosen - set(ROLES))
    if unknown or not chosen:
        raise WorkbenchError(
            f"choose roles among {', '.join(ROLES)} (--role, repeatable)"
            + (f"; {', '.join(unknown)} is not one" if unknown else "")
        )
    return chosen


def _hashed(password: str) -> str:
    from jupyter_server.auth.security import passwd

    if len(password) < MIN_PASSWORD_LENGTH:
        raise WorkbenchError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters; nothing was changed"
        )
    hashed: str = passwd(password, algorithm="argon2")
    return hashed


def _write(path: Path, accounts: Mapping[str, Account]) -> None:
    """Write the whole file private to its owner, replacing the old one in one step."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    content = {
        "about": _ABOUT,
        "users": {
            name: {
                "roles": [role for role in ROLES if role in account.roles],
                "password": account.password_hash,
            }
            for name, account in sorted(accounts.items())
        },
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", text=True)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:  # mkstemp makes it mode 600
            json.dump(content, file, indent=2)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


#: Checked against when a name is unknown, so that costs what a wrong password costs.
_DECOY_HASH = (
    "argon2:$argon2id$v=19$m=10240,t=10,p=8$b0J0PPs3PwBtEgNehwgDXQ$"
    "Q3jPO7DUPRlMV0oAVP4BhVCYynUEBFtyFk42wYjEJOY"
)
