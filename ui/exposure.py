"""Who may reach the workbench: the address it listens on, the sign-in that exposing it needs,
and whether browser sessions may spend the server's API key.

Plain policy without Streamlit, shared by the start-up check (`python -m ui.serve_check`, run by
`./run_ui.sh`) and the in-app gate (`ui.auth`):

- local (a loopback address, the default `127.0.0.1`): no sign-in, sessions use the server's key;
- exposed (any other address, or sign-in configured, e.g. behind a reverse proxy): sign-in is
  required, either OpenID Connect (`[auth]` in `.streamlit/secrets.toml`, Streamlit's `st.login`)
  or one shared access token (`RLM_ACCESS_TOKEN`), and sessions bring their own API key unless
  the operator sets `RLM_SHARE_SERVER_KEY=1`.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pipeline.state_folder import REPO_ROOT

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
HOST_ENV = "RLM_HOST"
TOKEN_ENV = "RLM_ACCESS_TOKEN"
SHARE_KEY_ENV = "RLM_SHARE_SERVER_KEY"
ALLOWED_EMAILS_ENV = "RLM_ALLOWED_EMAILS"
MIN_TOKEN_LENGTH = 16
# Where Streamlit reads secrets from (its default `secrets.files`); later files win.
SECRETS_FILES = (
    Path.home() / ".streamlit" / "secrets.toml",
    REPO_ROOT / ".streamlit" / "secrets.toml",
)
OIDC_SHARED_KEYS = ("redirect_uri", "cookie_secret")
OIDC_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")

SignInMode = Literal["none", "token", "oidc"]


def is_loopback(host: str | None) -> bool:
    """True only for an address that other machines cannot reach (127.0.0.0/8, ::1,
    localhost). An empty address means every interface; a host name counts as reachable."""
    name = (host or "").strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def access_token(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    return env.get(TOKEN_ENV, "").strip() or None


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison of a typed token with the configured one."""
    return hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))


def load_auth_section(files: tuple[Path, ...] | None = None) -> dict[str, Any] | None:
    """The `[auth]` table of the secrets files Streamlit reads (None when there is none)."""
    section: dict[str, Any] | None = None
    for path in SECRETS_FILES if files is None else files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path} is not valid TOML: {exc}") from exc
        if isinstance(data.get("auth"), dict):
            section = data["auth"]
    return section


def oidc_providers(auth: Mapping[str, Any] | None) -> list[str]:
    """Complete providers of an `[auth]` table: "default" for keys directly in `[auth]`, else
    the names of `[auth.<name>]` tables holding client_id, client_secret, server_metadata_url."""
    if not auth:
        return []
    names = [
        name
        for name, table in auth.items()
        if isinstance(table, Mapping) and all(table.get(k) for k in OIDC_PROVIDER_KEYS)
    ]
    if all(auth.get(key) for key in OIDC_PROVIDER_KEYS):
        names.insert(0, "default")
    return names


def oidc_problems(auth: Mapping[str, Any] | None) -> list[str]:
    """What an `[auth]` table lacks for `st.login` (empty when it is complete)."""
    if not auth:
        return ["there is no [auth] section in .streamlit/secrets.toml"]
    problems = [f"[auth] has no {key}" for key in OIDC_SHARED_KEYS if not auth.get(key)]
    redirect = str(auth.get("redirect_uri") or "")
    if redirect and not redirect.endswith("/oauth2callback"):
        problems.append("[auth] redirect_uri must end with /oauth2callback")
    if not oidc_providers(auth):
        problems.append(
            "no provider has all of client_id, client_secret and server_metadata_url "
            "(put them in [auth] or in an [auth.<provider>] table)"
        )
    return problems


def sign_in_mode(
    auth: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None
) -> SignInMode:
    """OpenID Connect when `[auth]` is present, else the access token when set, else none.
    An incomplete `[auth]` still counts as OIDC, so it fails closed (sign-in shows the problem)."""
    if auth:
        return "oidc"
    if access_token(environ):
        return "token"
    return "none"


def is_exposed(host: str | None, mode: SignInMode) -> bool:
    """Reachable by others: bound beyond loopback, or sign-in configured (a reverse proxy)."""
    return not is_loopback(host) or mode != "none"


def share_server_key(
    host: str | None, mode: SignInMode, environ: Mapping[str, str] | None = None
) -> bool:
    """May a browser session run on the server's OPENAI_API_KEY? Always when local; when
    exposed only if the operator opted in with RLM_SHARE_SERVER_KEY=1."""
    env = os.environ if environ is None else environ
    return not is_exposed(host, mode) or env.get(SHARE_KEY_ENV, "").strip() == "1"


def email_allowed(email: str | None, environ: Mapping[str, str] | None = None) -> bool:
    """RLM_ALLOWED_EMAILS (comma-separated addresses or `@domain`s) limits who may sign in with
    OpenID Connect; unset, every account the provider authenticates is let in."""
    env = os.environ if environ is None else environ
    allowed = [a.strip().lower() for a in env.get(ALLOWED_EMAILS_ENV, "").split(",") if a.strip()]
    if not allowed:
        return True
    address = (email or "").strip().lower()
    if "@" not in address:
        return False
    domain = "@" + address.rsplit("@", 1)[1]
    return any(entry in (address, domain) for entry in allowed)


def exposure_problems(
    host: str | None, auth: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Why the workbench must not start on `host` (empty when it may)."""
    mode = sign_in_mode(auth, environ)
    problems: list[str] = []
    if mode == "oidc":
        problems += oidc_problems(auth)
    token = access_token(environ)
    if mode == "token" and token and len(token) < MIN_TOKEN_LENGTH:
        problems.append(
            f"{TOKEN_ENV} is {len(token)} characters; use at least {MIN_TOKEN_LENGTH} "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(24))')"
        )
    if is_loopback(host):
        return problems
    if mode == "none":
        problems.append(
            f"{host or 'every interface'} is reachable from other machines and no sign-in is "
            "configured, so anyone who can reach it could read every mailbox and report and "
            "spend the API key"
        )
    return problems


def refusal_message(host: str | None, problems: list[str]) -> str:
    """What ./run_ui.sh prints when it refuses to start: why, and what to configure."""
    reasons = "\n".join(f"  - {problem}" for problem in problems)
    return (
        f"RLM Workbench will not start on {host or 'every interface'}:\n{reasons}\n"
        "To let others reach the workbench, configure sign-in first, either:\n"
        f"  - {TOKEN_ENV}=<a random token of {MIN_TOKEN_LENGTH}+ characters> (small team on a "
        "trusted network), or\n"
        "  - OpenID Connect: an [auth] section in .streamlit/secrets.toml (redirect_uri, "
        "cookie_secret, client_id, client_secret, server_metadata_url; README, 'Security').\n"
        f"Or keep it local: unset {HOST_ENV} (default {DEFAULT_HOST})."
    )
