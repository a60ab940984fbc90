"""`make airflow` (pipeline.airflow_standalone) started for real for a test: free loopback
ports, a clean environment, its output in a log file, and everything stopped afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from pipeline.airflow_check import AirflowApi, wait_for_dags, wait_until_healthy
from pipeline.airflow_standalone import PASSWORD_FILE
from pipeline.config import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fdp_env(fdp_home: Path, **extra: str) -> dict[str, str]:
    """This test run's environment without its own Airflow settings (conftest's AIRFLOW_HOME
    and AIRFLOW__* variables), for FDP_HOME `fdp_home`: as a user's shell would be."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    return env | {"FDP_HOME": str(fdp_home), **extra}


@dataclass
class Standalone:
    process: subprocess.Popen
    base_url: str
    password_file: Path
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def api(self) -> AirflowApi:
        """Logged in as admin once both DAGs are parsed without errors."""
        assert wait_until_healthy(self.base_url, timeout_s=150), self.log_tail()
        # read after the api-server is up: it writes the password file while starting
        password = json.loads(self.password_file.read_text())["admin"]
        api = AirflowApi(self.base_url, "admin", password)
        assert wait_for_dags(api, timeout_s=120) == [], self.log_tail()
        return api

    def listening_addresses(self) -> set[tuple[str, int, str]]:
        """(address, port, process name) of every TCP socket its processes listen on."""
        tree = [psutil.Process(self.process.pid)]
        tree += tree[0].children(recursive=True)
        found = set()
        for proc in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                found |= {(c.laddr.ip, c.laddr.port, proc.name())
                          for c in proc.net_connections(kind="tcp")
                          if c.status == psutil.CONN_LISTEN}
        return found


@contextlib.contextmanager
def standalone(env: dict[str, str], log_path: Path) -> Iterator[Standalone]:
    """`python -m pipeline.airflow_standalone` on a free port in `env`; Ctrl-C at the end, as a
    user stops it, then whatever ignored it is killed."""
    port = free_port()
    env = env | {"AIRFLOW__API__PORT": str(port)}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "pipeline.airflow_standalone"],
                                   cwd=REPO_ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Standalone(process, f"http://127.0.0.1:{port}",
                        Path(env["FDP_HOME"]) / "airflow" / PASSWORD_FILE, log_path)
    try:
        yield server
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

