"""`make airflow`: the Airflow UI for users without Docker. Runs the components `airflow
standalone` runs (api-server, scheduler, dag-processor, triggerer) on the embedded SQLite
database under $FDP_HOME/airflow, with the project's DAGs, the one-slot DuckDB writer pool and
the sources' connections set up first. Everything listens on 127.0.0.1 only.

Airflow reads its configuration when first imported, so nothing here imports it before
`standalone_env` has run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipeline.airflow_runner import airflow_env, prepare_airflow
from pipeline.airflow_tasks import CONNECTION_IDS
from pipeline.config import Credentials, Settings, credentials_from_env

PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"  # written by the api-server
# What `airflow standalone` starts, without the scheduler's and triggerer's log servers:
# Airflow 3.3 binds those to every interface and has no setting for their host
# (airflow/utils/serve_logs/core.py), and on one machine the api-server reads task logs from
# the log folder itself.
COMPONENTS = {
    "api-server": ("api-server",),
    "scheduler": ("scheduler", "--skip-serve-logs"),
    "dag-processor": ("dag-processor",),
    "triggerer": ("triggerer", "--skip-serve-logs"),
}
STOP_TIMEOUT_S = 30


def standalone_env(settings: Settings) -> dict[str, str]:
    """Set (as defaults the user's own values override) and return the environment the
    components run in."""
    airflow_env(settings, dag_test=False)
    os.environ.setdefault("AIRFLOW__API__HOST", "127.0.0.1")  # a local tool: not on the LAN
    # LocalExecutor forks one worker per slot (32 by default): too many for SQLite and a laptop.
    os.environ.setdefault("AIRFLOW__CORE__PARALLELISM", "4")
    port = os.environ.setdefault("AIRFLOW__API__PORT", "8080")
    # Tasks report to the api-server at this URL; Airflow's default assumes port 8080.
    os.environ.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
                          f"http://127.0.0.1:{port}/execution/")
    return dict(os.environ)


def connections_from_env(env: Mapping[str, str]) -> dict[str, Credentials]:
    """The sources' connections (id -> credentials) whose variables are set in `env`."""
    found = {conn_id: credentials_from_env(source, dict(env))
             for source, conn_id in CONNECTION_IDS.items()}
    return {conn_id: creds for conn_id, creds in found.items() if creds is not None}


def sync_connections(connections: Mapping[str, Credentials]) -> None:
    """Create or update each connection in the metadata database (login = client id,
    password = secret, encrypted with the Fernet key of the generated airflow.cfg)."""
    from airflow.models import Connection
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        for conn_id, creds in connections.items():
            conn = session.scalar(select(Connection).where(Connection.conn_id == conn_id))
            if conn is None:
                conn = Connection(conn_id=conn_id, conn_type="generic")
                session.add(conn)
            conn.login = creds.client_id
            conn.password = creds.client_secret


def run_components(airflow: str) -> int:
    """Start every component and wait. Ctrl-C (or SIGTERM) stops them all: 0. A component
    that exits on its own stops the others: 1."""
    for stop_signal in (signal.SIGINT, signal.SIGTERM):  # even if started with SIGINT ignored
        signal.signal(stop_signal, signal.default_int_handler)
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, args in COMPONENTS.items():
            processes[name] = subprocess.Popen([airflow, *args])
        while not (ended := {name: process.returncode for name, process in processes.items()
                             if process.poll() is not None}):
            time.sleep(1)
    except KeyboardInterrupt:
        _stop(processes.values())
        return 0
    for name, status in ended.items():
        print(f"airflow {name} exited with status {status}; stopping the other components",
              file=sys.stderr, flush=True)
    _stop(processes.values())
    return 1


def _stop(processes: Iterable[subprocess.Popen]) -> None:
    running = [p for p in processes if p.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    env = standalone_env(Settings.from_env())
    home = Path(env["AIRFLOW_HOME"])
    print(f"Airflow home: {home} (SQLite metadata); preparing it ...", flush=True)
    prepare_airflow(home / "setup.log")
    connections = connections_from_env(env)
    sync_connections(connections)
    print("Connections set from the environment: "
          + (", ".join(sorted(connections)) or "none (OPENSKY_CLIENT_ID/..._SECRET, "
             "FAA_NOTAM_CLIENT_ID/..._SECRET unset)"))
    print(f"Starting Airflow at http://localhost:{env['AIRFLOW__API__PORT']}; log in as admin "
          f"with the password in {home / PASSWORD_FILE}; Ctrl-C stops it", flush=True)
    return run_components(str(Path(sys.executable).with_name("airflow")))


if __name__ == "__main__":
    sys.exit(main())
