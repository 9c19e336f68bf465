"""The start-up check of `./run_ui.sh`: which address the workbench binds, and a refusal to
expose it without sign-in.

    HOST="$(python -m ui.serve_check "$@")"

prints the address to pass to `--server.address` (RLM_HOST, default 127.0.0.1; a
`--server.address` among the arguments wins, as it would for Streamlit). A non-loopback address
without sign-in configured (see `ui.exposure`), a too-short RLM_ACCESS_TOKEN or an incomplete
`[auth]` section prints why and what to configure on stderr and exits 2, so nothing starts.
Before that it makes the state folder `.rlm/` owner-only (tightening one made by an older
checkout), creates `.rlm/tmp` for temporary files, and tightens `.streamlit/secrets.toml`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from pipeline import state_folder
from pipeline.dashboard import PORT_ENV as DASHBOARD_PORT_ENV
from ui import exposure

EXIT_REFUSED = 2
ADDRESS_FLAG = "--server.address"


def bind_address(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The address Streamlit will listen on: a `--server.address` argument, else RLM_HOST,
    else 127.0.0.1."""
    address: str | None = None
    for index, arg in enumerate(argv):
        if arg == ADDRESS_FLAG and index + 1 < len(argv):
            address = argv[index + 1]
        elif arg.startswith(ADDRESS_FLAG + "="):
            address = arg.split("=", 1)[1]
    if address is None:
        address = environ.get(exposure.HOST_ENV, "").strip() or exposure.DEFAULT_HOST
    return address


def prepare_state_folder() -> None:
    """`.rlm/` and `.rlm/tmp` owner-only; anything an older checkout left readable tightened."""
    state_folder.restrict_umask()
    state_folder.state_dir("tmp")
    changed = state_folder.secure_tree(state_folder.STATE_ROOT)
    if changed:
        print(f"Made {changed} entries under .rlm/ owner-only.", file=sys.stderr)
    for secrets in exposure.SECRETS_FILES:
        if secrets.exists() and not state_folder.is_owner_only(secrets):
            os.chmod(secrets, state_folder.FILE_MODE)
            print(f"{secrets} holds sign-in secrets: made it owner-only.", file=sys.stderr)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    host = bind_address(args, env)
    try:
        auth = exposure.load_auth_section()
    except ValueError as exc:
        print(exposure.refusal_message(host, [str(exc)]), file=sys.stderr)
        return EXIT_REFUSED
    problems = exposure.exposure_problems(host, auth, env)
    if problems:
        print(exposure.refusal_message(host, problems), file=sys.stderr)
        return EXIT_REFUSED
    prepare_state_folder()
    mode = exposure.sign_in_mode(auth, env)
    if exposure.is_exposed(host, mode):
        shared = exposure.share_server_key(host, mode, env)
        print(
            f"Exposed on {host} with sign-in ({mode}); the server's API key is "
            + ("shared with signed-in sessions." if shared else "not shared with sessions."),
            file=sys.stderr,
        )
        if env.get(DASHBOARD_PORT_ENV, "").strip() != "0":
            print(
                "ZenML's dashboard has no sign-in: it stays on 127.0.0.1, out of reach of other "
                "machines but not of other accounts on this one (RLM_DASHBOARD_PORT=0 turns it "
                "off).",
                file=sys.stderr,
            )
    print(host)
    return 0


if __name__ == "__main__":
    sys.exit(main())
