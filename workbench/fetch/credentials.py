"""Credentials for the systems' APIs: looked up by name, never written anywhere.

``workspace.toml`` names a set of credentials (``credentials = "autotask"`` under
``[fetch.autotask]``; the source's own name when it says nothing). Each part of the set (a user
name, a secret, ...) is looked up first in an environment variable, then in the OS keyring:

* the environment variable ``WORKBENCH_<NAME>_<PART>``, upper case, every other character than a
  letter or digit made ``_`` (``WORKBENCH_AUTOTASK_SECRET``): for servers, CI and machines
  without a keyring;
* the OS keyring (macOS Keychain, Windows Credential Locker, the Secret Service on Linux), service
  :data:`KEYRING_SERVICE`, user name ``<name>/<part>`` (``keyring set msp-workbench
  autotask/secret`` stores one from a terminal).

A part found nowhere is a one-line error naming the source, the variable to set and the keyring
entry to store, and saying so when the machine has no keyring at all. The values are kept in
memory only: :meth:`Credentials.scrub` takes them out of any text about to be shown or logged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from workbench.errors import WorkbenchError

#: The keyring service every workbench credential is stored under.
KEYRING_SERVICE = "msp-workbench"
#: How a scrubbed secret reads in a message or a log.
HIDDEN = "[secret]"


class CredentialsMissing(WorkbenchError):
    """A credential part is in neither an environment variable nor the keyring."""


def variable_name(name: str, part: str) -> str:
    """The environment variable holding ``part`` of the credentials called ``name``."""
    return "WORKBENCH_" + re.sub(r"[^A-Za-z0-9]", "_", f"{name}_{part}").upper()


def keyring_user(name: str, part: str) -> str:
    """The keyring entry (user name under :data:`KEYRING_SERVICE`) of ``part`` of ``name``."""
    return f"{name}/{part}"


@dataclass(frozen=True)
class Credentials:
    """One source's credentials, as looked up.

    Attributes
    ----------
    source
        The system they are for (``autotask``), for messages.
    name
        The name they were looked up by.
    parts
        Each part's value, by part (``username``, ``secret``, ...).
    """

    source: str
    name: str
    parts: dict[str, str]

    def __getitem__(self, part: str) -> str:
        return self.parts[part]

    def __repr__(self) -> str:  # never the values, whatever prints the object
        return f"Credentials({self.source!r}, {self.name!r}, parts={sorted(self.parts)})"

    def scrub(self, text: str) -> str:
        """``text`` with every credential value replaced by :data:`HIDDEN`."""
        for value in sorted(self.parts.values(), key=len, reverse=True):
            if len(value) >= 4:  # a 1-3 character "secret" would blank out ordinary words
                text = text.replace(value, HIDDEN)
        return text


def lookup(source: str, name: str, parts: Iterable[str]) -> Credentials:
    """Look up every part of a source's credentials.

    Parameters
    ----------
    source
        The system, for messages (``autotask``).
    name
        The credentials' name from ``workspace.toml``.
    parts
        The parts the source needs, in the order to ask for them.

    Raises
    ------
    CredentialsMissing
        For the first part found nowhere: one line naming the source, the environment variable
        to set and the keyring entry to store.
    """
    found = {}
    for part in parts:
        value = os.environ.get(variable_name(name, part), "")
        if not value:
            value, trouble = _from_keyring(name, part)
            if not value:
                raise CredentialsMissing(
                    f"{source}: no {part} for the credentials {name!r}: set the environment "
                    f"variable {variable_name(name, part)}, or store it in the OS keyring with "
                    f"`keyring set {KEYRING_SERVICE} {keyring_user(name, part)}`{trouble}"
                )
        found[part] = value
    return Credentials(source, name, found)


def _from_keyring(name: str, part: str) -> tuple[str, str]:
    """The part from the OS keyring, or "" and why the keyring could not say."""
    try:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        return "", " (the keyring package is not installed: use the environment variable)"
    try:
        value = keyring.get_password(KEYRING_SERVICE, keyring_user(name, part))
    except NoKeyringError:
        return "", " (this machine has no OS keyring: use the environment variable)"
    except KeyringError as exc:
        return "", f" (the OS keyring did not answer: {type(exc).__name__})"
    return value or "", ""
