"""The sign-in gate, who is acting, and whether this session may use the server's API key.

`require_access()` runs in `ui/app.py` before navigation, so no page (and no sidebar) renders
for a visitor who has not signed in: they see only a sign-in form. The policy is `ui.exposure`'s:

- local (loopback, no sign-in configured): open, as before;
- OpenID Connect (`[auth]` in `.streamlit/secrets.toml`): Streamlit's `st.login`; optionally
  limited to RLM_ALLOWED_EMAILS;
- access token (RLM_ACCESS_TOKEN): a password form, compared in constant time; the session stays
  signed in until it ends or signs out;
- exposed without either (started without ./run_ui.sh): a refusal, no data.

`who()` names the acting user or session for the audit log, `record()` appends to it.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from pipeline import audit
from ui import exposure, state

logger = logging.getLogger(__name__)


def bound_host() -> str | None:
    """The address this Streamlit server listens on (None or "" means every interface)."""
    return st.get_option("server.address")


def auth_section() -> dict[str, Any] | None:
    """The `[auth]` secrets table Streamlit's `st.login` reads (None when absent)."""
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets.toml at all
        return None
    return dict(section) if isinstance(section, Mapping) and section else None


def sign_in_mode() -> exposure.SignInMode:
    return exposure.sign_in_mode(auth_section())


def server_key_shared() -> bool:
    """May this session's runs use the server's OPENAI_API_KEY (see `ui.exposure`)?"""
    return exposure.share_server_key(bound_host(), sign_in_mode())


def model_environment() -> Mapping[str, str]:
    """The environment the model settings are resolved from: without the server's key when
    it is not shared, so the mode line and the launch agree with what the run will get."""
    if server_key_shared():
        return os.environ
    return {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}


def who() -> str:
    """The signed-in user (OpenID Connect), else this browser session, for the audit log."""
    if sign_in_mode() == "oidc" and st.user.get("is_logged_in"):
        return str(st.user.get("email") or st.user.get("name") or st.user.get("sub") or "user")
    kind = "token session" if sign_in_mode() == "token" else "local session"
    return f"{kind} {_session_tag()}"


def record(action: str, **fields: str | None) -> None:
    """Append `action` by `who()` to the audit log; a failure to write is logged, never raised
    into the page (the action itself already happened)."""
    try:
        audit.record(action, who=who(), **fields)
    except Exception:
        logger.exception("could not write the audit log entry for %s", action)


def require_access() -> None:
    """Stop the script (after drawing a sign-in form or a refusal) unless this visitor may use
    the workbench. Call before `st.navigation`."""
    mode = sign_in_mode()
    if mode == "none":
        if exposure.is_exposed(bound_host(), mode):
            _refuse_unconfigured()
        return
    if mode == "oidc":
        _require_oidc()
    elif not st.session_state.get(state.SIGNED_IN):
        _token_form()
        st.stop()


def render_account() -> None:
    """Who is signed in and a sign-out button (sidebar); nothing when sign-in is off."""
    mode = sign_in_mode()
    if mode == "none":
        return
    st.caption(f"Signed in: {who()}")
    if mode == "oidc":
        st.button("Sign out", key="sign_out", on_click=st.logout)
    else:
        st.button("Sign out", key="sign_out", on_click=_sign_out)


def _require_oidc() -> None:
    problems = exposure.oidc_problems(auth_section())
    if problems:
        st.title("RLM Workbench")
        st.error(
            "Sign-in is configured in .streamlit/secrets.toml but incomplete: "
            + "; ".join(problems)
            + ". Ask the operator to complete it (README, Security)."
        )
        st.stop()
    if not st.user.get("is_logged_in"):
        st.title("RLM Workbench")
        st.info("Sign in to use the workbench.")
        for provider in exposure.oidc_providers(auth_section()):
            label = "Sign in" if provider == "default" else f"Sign in with {provider.title()}"
            st.button(
                label,
                key=f"sign_in_{provider}",
                type="primary",
                on_click=st.login,
                args=() if provider == "default" else (provider,),
            )
        st.stop()
    if not exposure.email_allowed(st.user.get("email")):
        record(audit.SIGN_IN_REFUSED, detail="account not in RLM_ALLOWED_EMAILS")
        st.title("RLM Workbench")
        st.error("This account may not use the workbench. Sign out and use an allowed account.")
        st.button("Sign out", key="sign_out", on_click=st.logout)
        st.stop()


def _token_form() -> None:
    st.title("RLM Workbench")
    with st.form("sign_in_form", clear_on_submit=True):
        st.text_input("Access token", type="password", key=state.ACCESS_TOKEN_INPUT)
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        typed = st.session_state.get(state.ACCESS_TOKEN_INPUT) or ""
        expected = exposure.access_token() or ""
        if typed and expected and exposure.token_matches(typed, expected):
            st.session_state[state.SIGNED_IN] = True
            record(audit.SIGN_IN)
            st.rerun()
        record(audit.SIGN_IN_REFUSED, detail="wrong access token")
        st.error("That access token is not right. Ask the operator for the workbench's token.")
    else:
        st.caption("This workbench is shared: enter the access token the operator gave you.")


def _sign_out() -> None:
    st.session_state[state.SIGNED_IN] = False


def _refuse_unconfigured() -> None:
    st.title("RLM Workbench")
    st.error(
        "This workbench listens beyond this machine but no sign-in is configured, so it shows "
        "nothing. Start it with ./run_ui.sh and set RLM_ACCESS_TOKEN or an [auth] section in "
        ".streamlit/secrets.toml (README, Security), or bind it to 127.0.0.1."
    )
    st.stop()


def _session_tag() -> str:
    """A short, stable tag of this browser session (a hash: the id itself is not logged)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    session_id = ctx.session_id if ctx is not None else "none"
    return hashlib.sha256(session_id.encode()).hexdigest()[:8]
