"""Ask a running Airflow, through its REST API, whether the project's DAGs are ready: both
loaded, no import errors, and the DuckDB writer pool there with one slot. Works against
`make airflow` and a Docker Compose deployment alike:

    .venv/bin/python -m pipeline.airflow_check                    # make airflow on port 8080
    AIRFLOW_PASSWORD=... .venv/bin/python -m pipeline.airflow_check \\
        --url http://localhost:8080 --username airflow            # docker compose

Without AIRFLOW_PASSWORD the password comes from the file `airflow standalone` writes in its
home ($AIRFLOW_HOME, default $FDP_HOME/airflow). Exit status 0 means ready."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import requests

from pipeline.airflow_runner import NIGHTLY_DAG_ID, REFERENCE_DAG_ID
from pipeline.airflow_standalone import PASSWORD_FILE
from pipeline.airflow_tasks import WRITER_POOL
from pipeline.config import Settings

DAG_IDS = (NIGHTLY_DAG_ID, REFERENCE_DAG_ID)


class AirflowApi:
    """A client of Airflow 3's public REST API, logged in with a JWT from /auth/token (which
    both the standalone SimpleAuthManager and the FAB auth manager serve)."""

    def __init__(self, base_url: str, username: str, password: str, timeout_s: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.http = requests.Session()
        token = self._call("POST", "/auth/token",
                           json={"username": username, "password": password})["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, params=params)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.base_url + path, timeout=self.timeout_s,
                                     **kwargs)
        response.raise_for_status()
        return response.json()


def healthy(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url.rstrip('/')}/api/v2/monitor/health", timeout=5).ok
    except requests.RequestException:
        return False


def import_errors(api: AirflowApi) -> list[str]:
    return [f"import error in {e['filename']}: {e['stack_trace'].strip().splitlines()[-1]}"
            for e in api.get("/api/v2/importErrors", limit=100)["import_errors"]]


def missing_dags(api: AirflowApi, dag_ids: tuple[str, ...] = DAG_IDS) -> list[str]:
    loaded = {dag["dag_id"] for dag in api.get("/api/v2/dags", limit=100)["dags"]}
    return [f"DAG {dag_id} is not loaded" for dag_id in dag_ids if dag_id not in loaded]


def pool_problems(api: AirflowApi) -> list[str]:
    try:
        slots = api.get(f"/api/v2/pools/{WRITER_POOL}")["slots"]
    except requests.HTTPError as exc:
        if exc.response is not None and exc.response.status_code == 404:
            return [f"pool {WRITER_POOL} is missing: the load tasks would wait for it forever"]
        raise
    return [] if slots == 1 else [f"pool {WRITER_POOL} has {slots} slots; DuckDB allows "
                                  "one writer, so it must have 1"]


def wait_until_healthy(base_url: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not healthy(base_url):
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    return True


def wait_for_dags(api: AirflowApi, timeout_s: float = 120.0,
                  dag_ids: tuple[str, ...] = DAG_IDS) -> list[str]:
    """Wait for the dag-processor to parse the DAG folder; return what is still wrong at the
    deadline (empty: ready). An import error ends the wait at once."""
    deadline = time.monotonic() + timeout_s
    while True:
        if errors := import_errors(api):
            return errors
        missing = missing_dags(api, dag_ids)
        if not missing or time.monotonic() > deadline:
            return missing + pool_problems(api)
        time.sleep(2)


def standalone_password(username: str) -> str | None:
    """The password `airflow standalone` generated for `username`, if it did."""
    home = Path(os.environ.get("AIRFLOW_HOME", Settings.from_env().home / "airflow"))
    try:
        return json.loads((home / PASSWORD_FILE).read_text(encoding="utf-8")).get(username)
    except FileNotFoundError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.airflow_check",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:8080", help="Airflow's base URL")
    parser.add_argument("--username", default="admin", help="default: standalone's admin")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the DAGs to be parsed (default 120)")
    args = parser.parse_args(argv)
    if not wait_until_healthy(args.url, args.timeout):
        print(f"no answer from {args.url}/api/v2/monitor/health", file=sys.stderr)
        return 1
    # Read after the api-server is up: standalone writes its password file while starting.
    password = os.environ.get("AIRFLOW_PASSWORD") or standalone_password(args.username)
    if password is None:
        print("set AIRFLOW_PASSWORD to the user's password", file=sys.stderr)
        return 2
    problems = wait_for_dags(AirflowApi(args.url, args.username, password), args.timeout)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{args.url}: {', '.join(DAG_IDS)} loaded, no import errors, "
              f"pool {WRITER_POOL} has 1 slot")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
