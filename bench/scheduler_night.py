"""Item 7: one world-mode night through Airflow's real scheduler (`make airflow`: standalone,
LocalExecutor, SQLite), replaying SYNTHETIC /flights/all answers: how many task instances the
night takes and its wall time, from the run's own start and end as Airflow records them.

The raw zone holds the night's twelve 2-hour windows of the synthetic world (bench/world.py),
each as OpenSky's /flights/all answer, flagged synthetic on every manifest line, plus the
reference snapshots; the watchlist says `scope = "world"`. The server is started, the nightly
DAG triggered through the REST API as a replay, and stopped when the run ends."""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from bench import rawgen
from bench.figures import Figure
from bench.world import World, flights_on
from pipeline.airflow_check import AirflowApi
from pipeline.airflow_runner import NIGHTLY_DAG_ID
from pipeline.config import OPENSKY_API_URL, REPO_ROOT, Settings
from pipeline.raw import RawZone
from pipeline.sources import opensky, opensky_all
from pipeline.sources.base import partition_name

sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))  # the tests' standalone starter
from airflow_server import fdp_env, standalone

RUN_TIMEOUT_S = 1200
DAG_PATH = f"/api/v2/dags/{NIGHTLY_DAG_ID}"


def world_night(home: Path, world: World, night: date) -> Figure:
    """Item 7's figure: the night's wall time, with its task count in the note."""
    settings = _prepare(home, world, night)
    env = fdp_env(settings.home, FDP_WATCHLIST=str(settings.watchlist_path),
                  FDP_TASK_RETRIES="0", AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False")
    with standalone(env, home / "standalone.log") as server:
        api = server.api()
        run = _trigger(api, night)
        finished = _wait(api, run["dag_run_id"], server.log_tail)
        instances = api.get(f"{DAG_PATH}/dagRuns/{run['dag_run_id']}/taskInstances",
                            limit=500)["task_instances"]
    wall = (_moment(finished["end_date"]) - _moment(finished["start_date"])).total_seconds()
    counts = Counter(ti["task_id"] for ti in instances)
    states = Counter(ti["state"] for ti in instances)
    if finished["state"] != "success":
        raise RuntimeError(f"the world night's run ended {finished['state']}: {dict(states)}; "
                           f"see {home / 'standalone.log'}")
    per_task = ", ".join(f"{task} {n}" for task, n in counts.items())
    return Figure("7", "world night through the real scheduler (wall)", wall, "s",
                  note=f"{len(instances)} task instances ({per_task}); 12 SYNTHETIC "
                       f"/flights/all windows, {_flights(settings):,} flights")


def _prepare(home: Path, world: World, night: date) -> Settings:
    """A fresh FDP_HOME in world scope (the raw zone kept while it holds this world's
    answers: rawgen.fresh_home)."""
    rawgen.fresh_home(home, world)
    watchlist = home / "watchlist.toml"
    shown = ", ".join(f'"{code}"' for code in world.watched[:20])
    watchlist.write_text("# SYNTHETIC benchmark watchlist (bench/scheduler_night.py)\n"
                         f'scope = "world"\nairports = [{shown}]\n', encoding="utf-8")
    settings = Settings.from_env({"FDP_HOME": str(home), "FDP_WATCHLIST": str(watchlist)})
    raw = RawZone(settings.raw_dir)
    if not all(raw.latest(opensky.SOURCE, partition_name(night, w))
               for w in opensky_all.WINDOWS):
        _write_windows(raw, world, night)
    rawgen.write_reference(settings, night)
    return settings


def _write_windows(raw: RawZone, world: World, night: date) -> None:
    """Each window lists the flights first seen in it, as /flights/all answers (an empty
    window: 404 with an empty body)."""
    flights = flights_on(world, night)
    fetched_at = datetime.combine(night + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    for window in opensky_all.WINDOWS:
        begin, end = opensky_all.window_bounds(night, window)
        listed = flights[flights["firstSeen"].between(begin, end)].sort_values("firstSeen")
        body = listed.to_json(orient="records").encode() if len(listed) else b""
        with raw.fetch(opensky.SOURCE, partition_name(night, window), synthetic=True) as batch:
            batch.add(request=opensky_all.REQUEST, url=f"{OPENSKY_API_URL}/flights/all",
                      params=opensky_all.request_params(night, window),
                      status=200 if body else 404, body=body, fetched_at=fetched_at,
                      note=rawgen.NOTE)


def _trigger(api: AirflowApi, night: date) -> dict:
    """A replay of the night, dated as the scheduler dates it."""
    api.http.patch(api.base_url + DAG_PATH, json={"is_paused": False}).raise_for_status()
    start = datetime.combine(night, datetime.min.time(), tzinfo=UTC)
    sources = ["opensky", *rawgen.REFERENCE_SOURCES]
    response = api.http.post(api.base_url + f"{DAG_PATH}/dagRuns", json={
        "logical_date": start.isoformat(), "data_interval_start": start.isoformat(),
        "data_interval_end": (start + timedelta(days=1)).isoformat(),
        "conf": {"replay": True, "sources": sources}})
    response.raise_for_status()
    return response.json()


def _wait(api: AirflowApi, run_id: str, log_tail) -> dict:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        run = api.get(f"{DAG_PATH}/dagRuns/{run_id}")
        if run["state"] in {"success", "failed"}:
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"the world night did not finish in {RUN_TIMEOUT_S} s:\n"
                               f"{log_tail()}")
        time.sleep(2)


def _flights(settings: Settings) -> int:
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        [(flights,)] = con.execute("SELECT count(*) FROM flights").fetchall()
    return flights


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
