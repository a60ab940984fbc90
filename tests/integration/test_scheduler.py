"""The nightly DAG under Airflow's real scheduler (`make airflow`: LocalExecutor, SQLite) on
replayed nights, as a user runs it after `make demo`: `fdp demo` runs one night through
dag.test(), then `airflow backfill create` queues two later nights and the night between is
triggered through the REST API. Every task succeeds, the loads of different runs never
overlap (the one-slot writer pool), and nothing the server started listens beyond loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
from airflow_server import Standalone, fdp_env, standalone

from pipeline.airflow_check import AirflowApi
from pipeline.airflow_runner import NIGHTLY_DAG_ID
from pipeline.config import Settings
from pipeline.demo.runner import write_demo_raw
from pipeline.demo.synthetic import load_scenario

DEMO_NIGHT = date(2025, 11, 24)
TRIGGERED_NIGHT = date(2025, 11, 25)
BACKFILLED_NIGHTS = (date(2025, 11, 26), date(2025, 11, 27))
NIGHTS = (DEMO_NIGHT, TRIGGERED_NIGHT, *BACKFILLED_NIGHTS)
# One partition per nightly source: enough to run every task, small enough for CI.
WATCHLIST = 'countries = ["VE"]\nairports = ["SVMI"]\nfirs = ["SVZM"]\nterms = ["Venezuela"]\n'
RUNS_TIMEOUT_S = 420
FINISHED = {"success", "failed"}
LOOPBACK = {"127.0.0.1", "::1"}
BIN = Path(sys.executable).parent


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def run_command(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done.stdout


def dag_path(run_id: str = "") -> str:
    path = f"/api/v2/dags/{NIGHTLY_DAG_ID}"
    return f"{path}/dagRuns/{quote(run_id, safe='')}" if run_id else path


def runs_by_night(api: AirflowApi) -> dict[date, dict]:
    runs = api.get(f"{dag_path()}/dagRuns", limit=100)["dag_runs"]
    return {moment(run["logical_date"]).date(): run for run in runs if run["logical_date"]}


def wait_for_nights(api: AirflowApi, server: Standalone, timeout_s: float) -> dict[date, dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        runs = runs_by_night(api)
        states = {day.isoformat(): runs[day]["state"] if day in runs else "missing"
                  for day in NIGHTS}
        if set(states.values()) <= FINISHED:
            return runs
        if time.monotonic() > deadline:
            pytest.fail(f"runs not finished after {timeout_s:.0f} s: {states}\n"
                        f"{server.log_tail()}")
        time.sleep(3)


def task_log(api: AirflowApi, run_id: str, ti: dict) -> list[dict | str]:
    """The log of the task's last try through the REST API: parsed events (or lines it could
    not parse)."""
    path = f"{dag_path(run_id)}/taskInstances/{ti['task_id']}/logs/{ti['try_number']}"
    return api.get(path, map_index=ti["map_index"], full_content="true")["content"]


def log_text(events: list[dict | str]) -> str:
    return "\n".join(event if isinstance(event, str) else
                     " ".join(str(event.get(key, "")) for key in ("timestamp", "level", "event"))
                     + (f" {json.dumps(event['error_detail'])}" if "error_detail" in event else "")
                     for event in events)


def failed_tasks_report(logs: dict[tuple[str, int], list], tis: list[dict]) -> str:
    """Each task that did not succeed, with the end of its log if it ran."""
    reports = []
    for ti in tis:
        if ti["state"] != "success":
            events = logs.get((ti["task_id"], ti["map_index"]))
            reports.append(f"{ti['task_id']}[{ti['map_index']}] {ti['state']}" + (
                f"; its log:\n{log_text(events)[-4000:]}" if events else ""))
    return "\n\n".join(reports)


def parse_ms(events: list[dict | str]) -> int | None:
    """How long the task's process took to import the DAG file, as Airflow logs it."""
    return next((event["dag_file_parse_ms"] for event in events if isinstance(event, dict)
                 and event.get("event") == "Worker startup parse complete"), None)


def test_nights_after_the_demo_run_under_the_scheduler(tmp_path, monkeypatch):
    began = time.monotonic()
    home = tmp_path / "fdp"
    (tmp_path / "watchlist.toml").write_text(WATCHLIST)
    env = fdp_env(home, FDP_WATCHLIST=str(tmp_path / "watchlist.toml"), FDP_TASK_RETRIES="0",
                  # no scheduled run of "last night" in 2026: only the runs this test makes
                  AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False")
    monkeypatch.setenv("FDP_HOME", env["FDP_HOME"])
    monkeypatch.setenv("FDP_WATCHLIST", env["FDP_WATCHLIST"])
    write_demo_raw(Settings.from_env(), load_scenario(), NIGHTS[0], NIGHTS[-1])
    run_command([str(BIN / "fdp"), "demo", "--start", str(DEMO_NIGHT), "--end", str(DEMO_NIGHT)],
                env)
    demo_s = time.monotonic() - began
    # Queued before the server starts, which runs them: SQLite takes one writer at a time.
    run_command([str(BIN / "airflow"), "backfill", "create", "--dag-id", NIGHTLY_DAG_ID,
                 "--from-date", str(BACKFILLED_NIGHTS[0]), "--to-date", str(BACKFILLED_NIGHTS[-1]),
                 "--dag-run-conf", json.dumps({"replay": True})],
                env | {"AIRFLOW_HOME": str(home / "airflow")})

    with standalone(env, tmp_path / "standalone.log") as server:
        api = server.api()
        api.http.patch(api.base_url + dag_path(), json={"is_paused": False}).raise_for_status()
        # The REST API dates a run by its logical date; the interval is given so that it is the
        # night the scheduler would run under that date (otherwise: the day before it).
        trigger = api.http.post(api.base_url + f"{dag_path()}/dagRuns", json={
            "logical_date": midnight(TRIGGERED_NIGHT).isoformat(),
            "data_interval_start": midnight(TRIGGERED_NIGHT).isoformat(),
            "data_interval_end": midnight(BACKFILLED_NIGHTS[0]).isoformat(),
            "conf": {"replay": True}})
        assert trigger.status_code == 200, trigger.text

        runs = wait_for_nights(api, server, RUNS_TIMEOUT_S)
        task_instances = {
            day: api.get(f"{dag_path(run['dag_run_id'])}/taskInstances", limit=200)[
                "task_instances"] for day, run in runs.items()}
        # the scheduler's runs (the demo's ran in its own process, logging to its terminal),
        # read from the log folder: the components run no log servers
        logs = {day: {(ti["task_id"], ti["map_index"]): task_log(api, runs[day]["dag_run_id"], ti)
                      for ti in task_instances[day] if ti["try_number"]} for day in NIGHTS[1:]}
        failures = {day: failed_tasks_report(logs[day], task_instances[day])
                    for day in NIGHTS[1:]}
        listening = server.listening_addresses()
        port = int(server.base_url.rsplit(":", 1)[1])

    for day, tis in task_instances.items():  # from its tasks: a dag.test() run's start_date
        ran = [ti for ti in tis if ti["start_date"] and ti["end_date"]]  # is its logical date
        span = (max(moment(ti["end_date"]) for ti in ran)
                - min(moment(ti["start_date"]) for ti in ran)) if ran else timedelta(0)
        print(f"{day} ({runs[day]['run_type']}): {runs[day]['state']}, {len(ran)} tasks in "
              f"{span.total_seconds():.0f} s, {sum(ti['duration'] for ti in ran):.0f} s of "
              "task time")
    parses = sorted(ms for day in NIGHTS[1:] for events in logs[day].values()
                    if (ms := parse_ms(events)) is not None) or [-1]
    print(f"test {time.monotonic() - began:.0f} s, of which fdp demo {demo_s:.0f} s; DAG file "
          f"import at task start: median {parses[len(parses) // 2]} ms, max {parses[-1]} ms")

    assert {day: runs[day]["state"] for day in NIGHTS} == dict.fromkeys(NIGHTS, "success"), \
        "\n".join(f"{day}:\n{report}" for day, report in failures.items() if report)
    assert {day: runs[day]["run_type"] for day in NIGHTS} == {
        DEMO_NIGHT: "manual", TRIGGERED_NIGHT: "manual", BACKFILLED_NIGHTS[0]: "backfill",
        BACKFILLED_NIGHTS[1]: "backfill"}
    for day in NIGHTS:  # each run dated as the scheduler dates the night, the demo's too
        interval = (moment(runs[day]["data_interval_start"]),
                    moment(runs[day]["data_interval_end"]))
        assert interval == (midnight(day), midnight(day + timedelta(days=1))), day
        assert {ti["state"] for ti in task_instances[day]} == {"success"}, failures.get(day)
        assert {ti["task_id"] for ti in task_instances[day]} == {
            "plan", "fetch", "normalize", "load", "report", "alerts"}
    for day in NIGHTS[1:]:
        assert all(parse_ms(events) is not None for events in logs[day].values()), \
            f"{day}: a task log the API could not read from the log folder"

    loads = sorted((moment(ti["start_date"]), moment(ti["end_date"]), day)
                   for day, tis in task_instances.items() for ti in tis if ti["task_id"] == "load")
    assert len(loads) == len(NIGHTS)
    for (_, end, day), (start, _, next_day) in pairwise(loads):
        assert end <= start, f"the loads of {day} and {next_day} overlapped"

    with duckdb.connect(str(Settings.from_env().published_path), read_only=True) as con:
        loaded = con.execute("SELECT DISTINCT \"partition\" FROM load_log WHERE source = "
                             "'opensky' AND status = 'loaded' ORDER BY 1").fetchall()
    assert loaded == [(f"{day}/SVMI",) for day in NIGHTS]  # each run loaded its own night

    assert {address for address, _, _ in listening} <= LOOPBACK, listening
    assert any(listen_port == port for _, listen_port, _ in listening), listening
