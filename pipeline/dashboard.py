"""ZenML's own dashboard for the workbench's store, and links from the workbench into it.

    python -m pipeline.dashboard --port 8237 [--watch-pid PID]

serves ZenML's server app (its REST API and the bundled dashboard) on 127.0.0.1 over the SAME
store the workbench uses (the SQLite database under ZENML_CONFIG_PATH), without switching the
workbench to a REST store the way `zenml login --local` would. The server is a child process
(uvicorn over `zenml.zen_server`) with its own ZenML config folder, pointed at our database,
with no authentication (`--auth` turns ZenML's logins on): it listens on the loopback
interface only. This process supervises it
and stops it when it is told to (SIGTERM/SIGINT) or when `--watch-pid` (run_ui.sh passes the
workbench's pid) exits. When the store already is a ZenML server (`zenml login URL`), there is
nothing to serve: that server's dashboard shows the runs, and the links point there.

Links: the dashboard's routes (zenml 0.98's bundled dashboard) are
`/projects/default/runs/<run id>` (the run's DAG; clicking a step shows its metadata, artifacts
and logs) and `/projects/default/runs/<run id>/logs?step=<step id>` (one step).
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pipeline import zenml_env

logger = logging.getLogger(__name__)

PORT_ENV = "RLM_DASHBOARD_PORT"  # 0 turns the dashboard off
URL_ENV = "RLM_DASHBOARD_URL"  # set by run_ui.sh for the workbench when it serves one
DEFAULT_PORT = 8237
HOST = "127.0.0.1"  # no authentication: never listen beyond this machine
PROJECT = "default"
SERVER_APP = "zenml.zen_server.zen_server_api:app"
WATCH_INTERVAL_S = 0.5


# --- Links -------------------------------------------------------------------------------------


def dashboard_url() -> str | None:
    """Base URL of a dashboard that shows this workbench's runs: the ZenML server's own when
    the store is one, else RLM_DASHBOARD_URL when run_ui.sh serves one, else None."""
    explicit = os.environ.get(URL_ENV, "").strip().rstrip("/")
    return _rest_store_url() or explicit or None


def run_url(run_id: str, base: str | None = None) -> str | None:
    """The run's page (its DAG with every step) in the dashboard, or None without one."""
    base = base or dashboard_url()
    return f"{base}/projects/{PROJECT}/runs/{run_id}" if base else None


def step_url(run_id: str, step_id: str | None, base: str | None = None) -> str | None:
    """One step run (a chunk) in the dashboard, or None without a dashboard or step id."""
    page = run_url(run_id, base)
    return f"{page}/logs?step={step_id}" if page and step_id else None


def _rest_store_url() -> str | None:
    if "zenml" not in sys.modules:  # nothing has opened the store yet: only the env can say
        url = os.environ.get("ZENML_STORE_URL", "")
        return url.rstrip("/") if url.startswith(("http://", "https://")) else None
    from zenml.config.global_config import GlobalConfiguration
    from zenml.enums import StoreType

    store = GlobalConfiguration().store_configuration
    return store.url.rstrip("/") if store.type == StoreType.REST else None


# --- Serving -----------------------------------------------------------------------------------


def server_environment(
    config_path: Path, store_url: str, local_stores: str, *, auth: bool = False
) -> dict[str, str]:
    """The server's environment: its own config folder, our database, no analytics; no login
    unless `auth` (then ZenML's own: users, service-account API keys)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "OPENAI_"))}
    env.update(
        ZENML_CONFIG_PATH=str(config_path / "dashboard-server"),
        ZENML_STORE_URL=store_url,
        ZENML_LOCAL_STORES_PATH=local_stores,
        ZENML_SERVER="true",
        ZENML_SERVER_AUTH_SCHEME="OAUTH2_PASSWORD_BEARER" if auth else "NO_AUTH",
        ZENML_SERVER_DEPLOYMENT_TYPE="local",
        ZENML_SERVER_AUTO_ACTIVATE="true",
        ZENML_SERVER_ALLOW_LOCAL_FILE_ACCESS="true",  # artifact previews from the local store
        ZENML_DISABLE_DATABASE_MIGRATION="true",  # prepare_store() migrated it
        ZENML_ANALYTICS_OPT_IN="false",
        ZENML_LOGGING_VERBOSITY="WARN",
        ZENML_CUSTOM_SOURCE_ROOT=str(zenml_env.REPO_ROOT),
        PYTHONPATH=str(zenml_env.REPO_ROOT),
    )
    if auth:
        env["ZENML_SERVER_JWT_SECRET_KEY"] = _jwt_secret(config_path)
    return env


def _jwt_secret(config_path: Path) -> str:
    """The server's token-signing secret, kept owner-only beside the store (tokens survive a
    restart)."""
    path = config_path / "dashboard-server.jwt"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_api_key(service_account: str) -> str:
    """A new API key for `service_account` (created if missing) in the configured SQL store:
    the credential a client sets as ZENML_STORE_API_KEY to use a server started with `auth`."""
    from zenml.client import Client
    from zenml.models import APIKeyRequest, ServiceAccountRequest

    zenml_env.open_store()
    store = Client().zen_store
    try:
        account = store.get_service_account(service_account)
    except KeyError:
        account = store.create_service_account(
            ServiceAccountRequest(name=service_account, active=True)
        )
    key = store.create_api_key(account.id, APIKeyRequest(name=f"key-{secrets.token_hex(4)}"))
    return str(key.key)


def prepare_store() -> tuple[str, str] | None:
    """Open (create, migrate) the workbench's store and mark its default user as onboarded (a
    fresh dashboard otherwise opens on a sign-up survey). Returns (database URL, local stores
    folder), or None when the store is a ZenML server (nothing to serve)."""
    from zenml.client import Client
    from zenml.config.global_config import GlobalConfiguration
    from zenml.enums import StoreType
    from zenml.models import UserUpdate

    config = GlobalConfiguration()
    if config.store_configuration.type == StoreType.REST:
        return None
    zenml_env.open_store()
    client = Client()
    user = client.active_user
    if user.email_opted_in is None or not (user.user_metadata or {}).get(
        "finished_onboarding_survey"
    ):
        metadata: dict[str, Any] = {
            **(user.user_metadata or {}),
            "finished_onboarding_survey": True,
        }
        client.zen_store.update_user(
            user.id, UserUpdate(email_opted_in=False, user_metadata=metadata)
        )
    return config.store_configuration.url, config.local_stores_path


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def start_server(port: int, *, auth: bool = False) -> subprocess.Popen | None:
    """Start the dashboard server for the configured store (its errors go to our stderr); None
    when the store is a server itself."""
    config_path = zenml_env.configure()
    prepared = prepare_store()
    if prepared is None:
        logger.warning("The store is a ZenML server (%s): use its dashboard.", _rest_store_url())
        return None
    store_url, local_stores = prepared
    command = [sys.executable, "-m", "uvicorn", SERVER_APP, "--host", HOST, "--port", str(port),
               "--log-level", "warning", "--no-server-header"]  # fmt: skip
    return subprocess.Popen(
        command,
        env=server_environment(config_path, store_url, local_stores, auth=auth),
        cwd=zenml_env.REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )


def stop_server(process: subprocess.Popen, timeout_s: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def serve(port: int, watch_pid: int | None = None, *, auth: bool = False) -> int:
    """Run the dashboard until told to stop or until `watch_pid` exits; the exit code."""
    if port == 0:
        return 0
    if not port_free(port):
        logger.warning(
            "ZenML dashboard not started: %s:%d is in use (set %s to another port, or 0).",
            HOST, port, PORT_ENV,
        )  # fmt: skip
        return 1
    process = start_server(port, auth=auth)
    if process is None:
        return 0
    stopping = []

    def stop(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while process.poll() is None and not stopping:
            if watch_pid is not None and not _alive(watch_pid):
                break
            time.sleep(WATCH_INTERVAL_S)
    finally:
        stop_server(process)
    return 0 if stopping or watch_pid is not None else (process.returncode or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.dashboard", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get(PORT_ENV) or DEFAULT_PORT), help="0: off"
    )
    parser.add_argument("--watch-pid", type=int, help="stop when this process exits")
    parser.add_argument(
        "--auth", action="store_true", help="require ZenML logins (users, service-account keys)"
    )
    parser.add_argument(
        "--create-api-key", metavar="ACCOUNT", help="print a new API key for this service account"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.create_api_key:
        zenml_env.configure()
        print(create_api_key(args.create_api_key))  # noqa: T201 - the command's output
        return 0
    return serve(args.port, args.watch_pid, auth=args.auth)


if __name__ == "__main__":
    sys.exit(main())
