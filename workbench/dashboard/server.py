"""Serving the dashboard: Voila with logins, pages that close, and a cap on how many run.

:func:`serve_dashboard` (``workbench dashboard``) runs Voila's own server on
``notebooks/dashboard.ipynb`` with jupyter_server's authentication machinery, configured two ways:

* **One person** (no users file): a token in the printed URL, as Jupyter does; only on this
  machine (127.0.0.1). The person is the server's account, and types their name in *Reviewer*.
* **A team** (``--users FILE``, see :mod:`workbench.logins`): a sign-in page; every request
  carries a signed cookie naming the login (:class:`TeamLogins`). Serving beyond this machine
  needs logins and HTTPS (``--certfile`` / ``--keyfile``), and is refused otherwise.

The page's kernel learns who is signed in through Voila's request info: :class:`TeamLogins`
writes the checked login and its roles into two request headers, replacing any the browser sent,
and Voila passes the headers it is told to (``http_header_envs``) to the kernel, preheated or
not. So a viewer cannot claim to be a reviewer by sending a header or a query parameter.

Kernels: each page is one kernel. Voila's own page-close beacon shuts it at once;
:class:`DashboardKernels` also culls a kernel whose page is gone (no connection for
``closed_page_seconds``) or idle (``cull_idle_timeout``), and :class:`DashboardPage` refuses a
page beyond ``max_pages`` with a message instead of starting one more kernel. The preheated
kernel (voila.json) stays warm and is never counted or culled. A kernel belongs to the login
whose page connected to it first (:class:`PageOwners`): another login cannot drive it.
"""

from __future__ import annotations

import getpass
import hmac
import html
import ipaddress
import json
import os
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_core.paths import jupyter_config_path
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.escape import url_escape
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets
from traitlets import Integer, Unicode, default
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.handler import TornadoVoilaHandler

from workbench.errors import WorkbenchError
from workbench.logins import (
    LOGIN_HEADER,
    LOGINS_VARIABLE,
    ROLES_HEADER,
    Account,
    check_password,
    password_stamp,
    read_accounts,
    stamps_match,
)
from workbench.workspace import Workspace

__all__ = [
    "NOTEBOOK",
    "DashboardKernels",
    "DashboardServer",
    "TeamLogins",
    "serve_dashboard",
]

#: The dashboard notebook, and the repository whose voila.json configures its server.
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "dashboard.ipynb"

_TOKEN_STAMP = "token"


def serve_dashboard(
    workspace: Path,
    *,
    users: Path | None = None,
    ip: str = "127.0.0.1",
    port: int = 8866,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    pages: int | None = None,
    idle_minutes: int | None = None,
) -> None:
    """Serve the dashboard of a workspace until interrupted; prints the URL to open.

    Parameters
    ----------
    workspace
        Folder holding ``workspace.toml``.
    users
        The users file of a team's logins; None serves one person with a token URL.
    ip, port
        Where to listen. Any address but this machine's needs ``users`` and ``certfile``.
    certfile, keyfile
        TLS certificate and key (PEM) to serve HTTPS; the key may be inside the certificate.
    pages, idle_minutes
        Override voila.json: most pages open at once; minutes before an unused page closes.

    Raises
    ------
    WorkbenchError
        When the settings would expose the dashboard (see the module's docstring), the users
        file is unsafe or inside the workspace, or the port is taken.
    """
    opened = Workspace.open(workspace)
    if users is not None:
        users = users.resolve()
        if users.is_relative_to(opened.root.resolve()):
            raise WorkbenchError(
                f"the users file {users} is inside the workspace {opened.root}: passwords are "
                "not workspace data (they would be backed up and shared with it). Keep it "
                "elsewhere, e.g. ~/.config/msp-workbench/users.json"
            )
    server = DashboardServer()
    server.initialize([str(NOTEBOOK), "--no-browser"])
    server.workspace = str(opened.root)
    server.ip, server.port = ip, port
    server.users_file = str(users or "")
    server.certfile = str(certfile or "")
    server.keyfile = str(keyfile or "")
    if pages is not None:
        server.config.DashboardKernels.max_pages = pages
    if idle_minutes is not None:
        server.config.DashboardKernels.cull_idle_timeout = idle_minutes * 60
    server.start()


def is_this_machine(ip: str) -> bool:
    """Whether listening on ``ip`` reaches this machine only (127.0.0.1, ::1, localhost)."""
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:  # a host name, or "" for every address
        return False


# --- who is signed in ------------------------------------------------------------------------


class TeamLogins(IdentityProvider):
    """jupyter_server's identity provider for the dashboard: a team's logins or one token.

    With a users file, the sign-in form checks a login's name and password against it, and the
    cookie carries the login's name and a fingerprint of its password hash, so a changed
    password or a removed login signs the cookie's pages out. Without one, the token in the
    printed URL signs in the server's own account.
    """

    users_file = Unicode("", help="The users file of a team's logins; empty for a token.").tag(
        config=True
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._read: tuple[tuple[int, int, int], dict[str, Account]] | None = None

    @property
    def auth_enabled(self) -> bool:
        return True  # never "no authentication"

    @property
    def login_available(self) -> bool:
        return True

    def get_handlers(self) -> list[tuple[str, object]]:
        return [(r"/login", SignIn), (r"/logout", SignOut)]

    async def get_user(self, handler: tornado.web.RequestHandler) -> User | None:
        """The request's user; its login and roles go into the headers Voila gives the kernel.

        Headers of those names sent by the browser are removed first, whoever asks.
        """
        user: User | None = await self._get_user(handler)
        headers = handler.request.headers
        for name in (LOGIN_HEADER, ROLES_HEADER):
            if name in headers:
                del headers[name]
        account = self.accounts().get(user.username) if user and self.users_file else None
        if account is not None:
            headers[LOGIN_HEADER] = account.name
            headers[ROLES_HEADER] = ",".join(sorted(account.roles))
        return user

    def accounts(self) -> dict[str, Account]:
        """The users file's logins, read again whenever the file changed on disk."""
        if not self.users_file:
            return {}
        try:
            status = os.stat(self.users_file)
            version = (status.st_mtime_ns, status.st_size, status.st_ino)
            if self._read is None or self._read[0] != version:
                self._read = (version, read_accounts(Path(self.users_file)))
        except (OSError, WorkbenchError) as error:
            # Nobody signs in rather than anybody: the admin sees why in the server's log.
            self.log.error("Nobody can sign in: %s", error)
            self._read = None
            return {}
        return self._read[1]

    def process_login_form(self, handler: tornado.web.RequestHandler) -> User | None:
        typed = handler.get_argument("password", default="")
        if not self.users_file:
            token: str = self.token
            return self._server_account() if token and hmac.compare_digest(typed, token) else None
        name = handler.get_argument("username", default="")
        accounts = self.accounts()
        account = check_password(accounts, name, typed)
        if account is None:
            # Not the name typed: people type their password into it by mistake.
            known = name.strip().lower() in accounts
            self.log.warning(
                "Failed sign-in from %s (%s)",
                handler.request.remote_ip,
                "a known login, wrong password" if known else "not a login",
            )
            return None
        return _user(account.name)

    def generate_anonymous_user(self, handler: tornado.web.RequestHandler) -> User:
        # Only a token signs in without a name: the one person is the server's account.
        return self._server_account()

    def user_to_cookie(self, user: User) -> str:
        account = self.accounts().get(user.username)
        stamp = password_stamp(account) if account else _TOKEN_STAMP
        return json.dumps({"username": user.username, "stamp": stamp})

    def user_from_cookie(self, cookie_value: str) -> User | None:
        content = json.loads(cookie_value)
        name, stamp = str(content.get("username", "")), str(content.get("stamp", ""))
        if not self.users_file:
            return self._server_account() if stamp == _TOKEN_STAMP else None
        account = self.accounts().get(name)
        return _user(name) if account and stamps_match(account, stamp) else None

    def _server_account(self) -> User:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no user name in a bare container
            name = "owner"
        return _user(name)


def _user(name: str) -> User:
    return User(username=name, name=name, display_name=name)


class SignIn(LoginFormHandler):
    """The sign-in page: a login's name and password, or the token for one person."""

    def _render(self, message: dict[str, str] | None = None) -> None:
        logins = self.identity_provider
        team = isinstance(logins, TeamLogins) and bool(logins.users_file)
        target = self.get_argument("next", default=self.base_url)
        fields = (
            '<label>Login <input name="username" autocomplete="username" required '
            "autofocus></label>"
            '<label>Password <input type="password" name="password" '
            'autocomplete="current-password" required></label>'
            if team
            else '<label>Token (from the URL the server printed) <input type="password" '
            'name="password" required autofocus></label>'
        )
        problem = (
            '<p class="problem" role="alert">Wrong login or password.</p>'
            if message and team
            else '<p class="problem" role="alert">That is not the token.</p>'
            if message
            else ""
        )
        self.write(
            _PAGE.format(
                title="Sign in",
                body=f'<form method="post" action="{html.escape(self.base_url)}login?next='
                f'{html.escape(url_escape(target))}">{self.xsrf_form_html()}{fields}'
                f'<button type="submit">Sign in</button></form>{problem}',
            )
        )


class SignOut(JupyterHandler):
    """Forget the login cookie, then show the sign-in page."""

    @allow_unauthenticated
    def get(self) -> None:
        self.identity_provider.clear_login_cookie(self)
        self.redirect(self.base_url + "login")


# --- pages and their kernels -----------------------------------------------------------------


class DashboardKernels(AsyncMappingKernelManager):
    """The kernel manager under Voila's pool of preheated kernels: culls and counts pages.

    A page is a kernel outside the preheated pool. One whose page went away (its last
    connection closed, and no new one came) for ``closed_page_seconds`` is culled, as is one
    nobody used for ``cull_idle_timeout``, page open or not. Closing counts from the moment the
    connection closed, so a page still being built (no connection yet) is never taken for gone.
    """

    max_pages = Integer(8, help="Most dashboard pages (kernels) open at once.").tag(config=True)
    closed_page_seconds = Integer(
        60, help="Cull a page's kernel once it has had no connection for this long."
    ).tag(config=True)

    @default("cull_idle_timeout")
    def _idle_page_seconds(self) -> int:
        return 3600

    @default("cull_interval")
    def _cull_every(self) -> int:
        return 30

    @default("cull_connected")
    def _cull_open_pages(self) -> bool:
        return True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owners: dict[str, str] = {}
        self.closed_at: dict[str, datetime] = {}
        #: With HTTPS, preheated kernels ask for their request on this plain loopback port.
        self.request_info_port: int | None = None

    def pages_open(self) -> int:
        """Kernels serving a page: every kernel but the preheated ones waiting in the pool."""
        waiting = {
            task.result()["kernel_id"]
            # Voila's pool keeps no public list of its kernels' ids.
            for pool in getattr(self, "_pools", {}).values()
            for task in pool
            if task.done() and not task.cancelled() and task.exception() is None
        }
        return len(set(self.list_kernel_ids()) - waiting)

    def claim(self, kernel_id: str, login: str) -> bool:
        """Whether ``login`` may use this kernel: the first login to connect owns it."""
        if kernel_id not in self:
            return True  # the handler answers that there is no such kernel
        return self.owners.setdefault(kernel_id, login) == login

    async def start_kernel(self, **kwargs: Any) -> str:  # type: ignore[override]
        environment = kwargs.get("env")
        if self.request_info_port and environment and environment.get("VOILA_PREHEAT") == "True":
            environment["VOILA_APP_PORT"] = str(self.request_info_port)
        kernel_id: str = await super().start_kernel(**kwargs)
        return kernel_id

    async def shutdown_kernel(  # type: ignore[override]
        self, kernel_id: str, *args: Any, **kwargs: Any
    ) -> None:
        self.owners.pop(kernel_id, None)
        self.closed_at.pop(kernel_id, None)
        await super().shutdown_kernel(kernel_id, *args, **kwargs)

    def notify_connect(self, kernel_id: str) -> None:
        super().notify_connect(kernel_id)
        self.closed_at.pop(kernel_id, None)

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        if kernel_id in self and not self.kernel_model(kernel_id)["connections"]:
            self.closed_at[kernel_id] = datetime.now(UTC)

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        closed = self.closed_at.get(kernel_id)
        if closed and datetime.now(UTC) - closed > timedelta(seconds=self.closed_page_seconds):
            self.log.info("Culling kernel %s: its page closed.", kernel_id)
            await self.shutdown_kernel(kernel_id)
            return
        await super().cull_kernel_if_idle(kernel_id)


class PageOwners(Authorizer):
    """A page's kernel answers only the login whose page connected to it first."""

    def is_authorized(
        self, handler: JupyterHandler, user: User, action: str, resource: str
    ) -> bool:
        kernel_id = getattr(handler, "kernel_id", None) or handler.path_kwargs.get("kernel_id")
        kernels = handler.kernel_manager
        if resource != "kernels" or not kernel_id or not isinstance(kernels, DashboardKernels):
            return True
        return kernels.claim(kernel_id, user.username)


class DashboardPage(TornadoVoilaHandler):
    """The dashboard page: refused, with a message, when ``max_pages`` are open."""

    @tornado.web.authenticated
    async def get(self, path: str | None = None) -> None:
        kernels = self.kernel_manager
        if isinstance(kernels, DashboardKernels) and kernels.pages_open() >= kernels.max_pages:
            idle = kernels.cull_idle_timeout // 60
            self.set_status(503)
            self.finish(
                _PAGE.format(
                    title="Too many dashboard pages open",
                    body=f'<p class="problem">The dashboard is open in {kernels.max_pages} '
                    "pages already, the most this server runs at once (each one holds a "
                    "kernel in memory). Close a dashboard tab you no longer use (its kernel "
                    f"stops at once) and reload this one; a page nobody uses closes after "
                    f"{idle} minutes.</p>",
                )
            )
            return
        # The page's close beacon sends this cookie's value; without it the kernel would stay
        # until culled.
        self.xsrf_token  # noqa: B018
        await super().get(path=path)


class ClosePage(VoilaShutdownKernelHandler):
    """Voila's page-close beacon, for the kernel's own login only."""

    @tornado.web.authenticated
    async def post(self, kernel_id: str) -> None:
        kernels = self.kernel_manager
        if isinstance(kernels, DashboardKernels) and not kernels.claim(
            kernel_id, self.current_user.username
        ):
            raise tornado.web.HTTPError(403)
        await super().post(kernel_id)


class LocalRequestInfo(RequestInfoSocketHandler):
    """Voila's socket handing a preheated kernel its request, for kernels (this machine) only.

    Voila leaves it without authentication; from elsewhere it would let anyone who learns a
    kernel's id take the request meant for it.
    """

    async def get(self, *args: Any, **kwargs: Any) -> None:
        if not is_this_machine(self.request.remote_ip or ""):
            raise tornado.web.HTTPError(403)
        await super().get(*args, **kwargs)


# --- the server ------------------------------------------------------------------------------


class DashboardServer(Voila):
    """Voila's server with :class:`TeamLogins`, :class:`DashboardKernels` and HTTPS."""

    workspace = Unicode("", help="The workspace folder the dashboard opens.").tag(config=True)
    users_file = Unicode("", help="The users file of a team's logins; empty for a token.").tag(
        config=True
    )
    certfile = Unicode("", help="TLS certificate (PEM): serve HTTPS.").tag(config=True)
    keyfile = Unicode("", help="The certificate's private key (PEM).").tag(config=True)

    @default("config_file_paths")
    def _repository_first(self) -> list[str]:
        # voila.json sits beside notebooks/, wherever the command is run from.
        return [str(NOTEBOOK.parents[1]), os.getcwd(), *jupyter_config_path()]

    def initialize(self, argv: list[str] | None = None) -> None:
        super().initialize(argv)
        configuration = self.voila_configuration
        configuration.multi_kernel_manager_class = DashboardKernels
        configuration.http_header_envs = [
            *configuration.http_header_envs,
            LOGIN_HEADER,
            ROLES_HEADER,
        ]
        self.identity_provider_class = TeamLogins
        self.authorizer_class = PageOwners

    def start(self) -> None:
        self._refuse_exposure()
        # A token for one person; none with logins (Voila then passes an empty token).
        self.token, self.auto_token = None, not self.users_file
        # Kernels inherit the server's environment: how they find the workspace, and know
        # that a page without a login must show nothing.
        if self.workspace:
            os.environ["WORKBENCH_WORKSPACE"] = self.workspace
        if self.users_file:
            os.environ[LOGINS_VARIABLE] = "required"
        else:
            os.environ.pop(LOGINS_VARIABLE, None)
        super().start()

    def init_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = super().init_settings()
        logins: TeamLogins = self.identity_provider
        logins.users_file = self.users_file
        return settings

    def init_handlers(self) -> list[Any]:
        ours = {
            TornadoVoilaHandler: DashboardPage,
            VoilaShutdownKernelHandler: ClosePage,
            RequestInfoSocketHandler: LocalRequestInfo,
        }
        return [
            (route[0], ours.get(route[1], route[1]), *route[2:])
            for route in super().init_handlers()
        ]

    def _url(self, ip: str) -> str:
        scheme = "https" if self.certfile else "http"
        return f"{scheme}://{ip}:{self.port}{self.base_url}"

    def listen(self) -> None:
        tls = None
        if self.certfile:
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            try:
                tls.load_cert_chain(self.certfile, self.keyfile or None)
            except (OSError, ssl.SSLError) as error:
                raise WorkbenchError(
                    f"cannot serve HTTPS with {self.certfile} and {self.keyfile or 'its key'}: "
                    f"{error}; give a PEM certificate (--certfile) and its key (--keyfile)"
                ) from error
        try:
            self.app.listen(self.port, self.ip, ssl_options=tls)
        except OSError as error:
            raise WorkbenchError(
                f"cannot listen on {self.ip}:{self.port} ({error.strerror}): is a dashboard "
                "already running there? Choose another --port"
            ) from error
        if tls is not None and self.voila_configuration.preheat_kernel:
            self._serve_requests_to_kernels()
        print(f"Dashboard: {self.display_url}", flush=True)
        if self.users_file:
            print(f"Sign in with a login of {self.users_file}", flush=True)
        self.ioloop = IOLoop.current()
        try:
            self.ioloop.start()
        except KeyboardInterrupt:
            self.log.info("Stopping...")
        finally:
            self.stop()

    def _serve_requests_to_kernels(self) -> None:
        """Preheated kernels wait for their request on a socket of plain HTTP on this
        machine: the HTTPS port's certificate names the server, not 127.0.0.1."""
        sockets = bind_sockets(0, "127.0.0.1")
        route = (rf"{self.server_url}voila/query/(?P<kernel_id>[\w-]+)", LocalRequestInfo)
        HTTPServer(tornado.web.Application([route])).add_sockets(sockets)
        self.kernel_manager.request_info_port = sockets[0].getsockname()[1]

    def _refuse_exposure(self) -> None:
        if self.users_file and not read_accounts(Path(self.users_file)):
            raise WorkbenchError(
                f"the users file {self.users_file} has no logins: add one with "
                f"`workbench users add NAME --role reviewer --users {self.users_file}`"
            )
        if is_this_machine(self.ip):
            return
        if not self.users_file:
            raise WorkbenchError(
                f"--ip {self.ip or '(every address)'} lets other machines open the dashboard, "
                "and without logins anyone there could read every client's billing and decide. "
                "Serve a team with logins: add them with `workbench users add NAME --role "
                "reviewer`, then run with --users FILE; or keep --ip 127.0.0.1 for yourself"
            )
        if not self.certfile:
            raise WorkbenchError(
                f"--ip {self.ip or '(every address)'} without HTTPS would send passwords and "
                "billing across the network in clear: give --certfile and --keyfile, or keep "
                "--ip 127.0.0.1 behind an HTTPS reverse proxy"
            )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - billing workbench</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827;
  background: #f9fafb; display: flex; justify-content: center; padding-top: 12vh; }}
main {{ background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 24px 28px;
  width: 360px; box-shadow: 0 1px 2px rgba(0,0,0,.05); }}
h1 {{ font-size: 18px; margin: 0 0 16px; }}
label {{ display: block; font-size: 13px; font-weight: 600; margin: 0 0 12px; }}
input {{ display: block; width: 100%; box-sizing: border-box; margin-top: 4px; padding: 7px 9px;
  font-size: 14px; border: 1px solid #d1d5db; border-radius: 6px; }}
button {{ padding: 8px 16px; font-size: 14px; font-weight: 600; border: 0; border-radius: 6px;
  background: #1d4ed8; color: #fff; cursor: pointer; }}
.problem {{ color: #991b1b; font-size: 13.5px; }}
</style></head>
<body><main class="wb-sign-in"><h1>{title}</h1>{body}</main></body></html>
"""
