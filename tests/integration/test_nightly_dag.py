"""The real nightly DAG through Airflow's dag.test(), against a local OpenSky on 127.0.0.1:
rows land in a DuckDB file on disk, a second run changes nothing, and replay needs no network."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import load_fixture, table_checksum
from fake_opensky import CLIENT_ID, CLIENT_SECRET, FakeOpenSky

from pipeline.airflow_runner import (
    NIGHTLY_DAG_ID,
    REFERENCE_DAG_ID,
    load_dag,
    run_dag,
    run_night,
)
from pipeline.airflow_tasks import plan_partitions
from pipeline.config import Settings
from pipeline.sources.opensky import day_window

DAY = date(2025, 11, 20)
START_DATE = date(2025, 11, 1)  # the nightly DAG's; no test runs this night


@pytest.fixture
def night(httpserver, fdp_env, tmp_path, monkeypatch, airflow_metadata):
    """A local OpenSky serving 20 Nov 2025 for SVMI and SVMC, and a watchlist of those two."""
    sky = FakeOpenSky(httpserver)
    for key, value in sky.env().items():
        monkeypatch.setenv(key, value)
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text('countries = ["VE"]\nairports = ["SVMI", "SVMC"]\n')
    monkeypatch.setenv("FDP_WATCHLIST", str(watchlist))
    begin, _ = day_window(DAY)
    arrivals = load_fixture("opensky/arrival_SVMI_2025-11-20.json")
    sky.serve("departure", "SVMI", begin, load_fixture("opensky/departure_SVMI_2025-11-20.json"))
    sky.serve("arrival", "SVMI", begin, arrivals)
    sky.serve("departure", "SVMC", begin, [f for f in arrivals if f["callsign"] == "VCV1021 "])
    # SVMC arrivals: only VCV1020 from SVMI, which SVMI's departures already hold -> not loaded
    sky.serve("arrival", "SVMC", begin,
              [f for f in load_fixture("opensky/departure_SVMI_2025-11-20.json")
               if f["callsign"] == "VCV1020 "])
    return sky


def query(sql: str) -> list[tuple]:
    with duckdb.connect(str(Settings.from_env().duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def checksum(table: str) -> str:
    with duckdb.connect(str(Settings.from_env().duckdb_path), read_only=True) as con:
        return table_checksum(con, table)


def test_one_night_fetches_normalizes_and_loads(night, monkeypatch):
    # In Airflow the credentials come from the connection opensky_default.
    monkeypatch.delenv("OPENSKY_CLIENT_ID")
    monkeypatch.delenv("OPENSKY_CLIENT_SECRET")
    monkeypatch.setenv("AIRFLOW_CONN_OPENSKY_DEFAULT", json.dumps(
        {"conn_type": "generic", "login": CLIENT_ID, "password": CLIENT_SECRET}))

    run = run_night(load_dag(), DAY, {"replay": False})

    assert run.state == "success"
    assert len(night.api_requests) == 4  # 2 airports x (departures, arrivals)
    assert query("SELECT count(*), count(DISTINCT flight_id) FROM flights") == [(11, 11)]
    assert query("SELECT source_partition, count(*) FROM flights GROUP BY 1 ORDER BY 1") == [
        ("2025-11-20/SVMC", 1), ("2025-11-20/SVMI", 10)]
    assert query("SELECT callsign, count(*) FROM flights WHERE callsign LIKE 'VCV%' "
                 "GROUP BY 1 ORDER BY 1") == [("VCV1020", 1), ("VCV1021", 1)]
    assert query("SELECT carrier_icao, origin_icao, dest_icao, CAST(arr_time_utc AS VARCHAR), "
                 "status FROM flights WHERE callsign = 'IBE6674'") == [
        ("IBE", "SVMI", "LEMD", "2025-11-21 07:31:40", "observed")]
    assert query("SELECT DISTINCT run_id FROM flights") == [(run.run_id,)]
    assert query("SELECT source, \"partition\", status, rows FROM load_log ORDER BY 2") == [
        ("opensky", "2025-11-20/SVMC", "loaded", 1), ("opensky", "2025-11-20/SVMI", "loaded", 10),
        ("permit_registry", "registry", "loaded", 79)]
    report = Settings.from_env().reports_dir / "2025-11-20" / "report.html"  # the report task's
    assert "Data of 2025-11-20: 2 partitions (opensky)" in report.read_text()


def backfill_would_run(first: date, last: date) -> list[str]:
    """The logical dates `airflow backfill create --dry-run` would run for these nights."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    done = subprocess.run([airflow, "backfill", "create", "--dag-id", NIGHTLY_DAG_ID, "--dry-run",
                           "--from-date", first.isoformat(), "--to-date", last.isoformat()],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    attempted = done.stdout.split("Runs to be attempted:")[1]
    return re.findall(r"\d{4}-\d{2}-\d{2}", attempted)


def test_a_night_is_dated_as_the_scheduler_and_backfill_date_it(night):
    run = run_night(load_dag(), DAY, {"replay": False})

    midnight = datetime.combine(DAY, time(0), tzinfo=UTC)
    assert run.logical_date == midnight
    assert (run.data_interval_start, run.data_interval_end) == (midnight,
                                                                midnight + timedelta(days=1))
    # `airflow backfill create` takes it for the night's run (and runs only the other nights)
    would_run = backfill_would_run(START_DATE, DAY)
    assert START_DATE.isoformat() in would_run and DAY.isoformat() not in would_run


def test_a_run_without_a_day_says_how_to_give_it_one(fdp_env):
    # `airflow dags trigger` without a logical date makes a run with no data interval
    with pytest.raises(ValueError, match="trigger it with a logical date, or use `airflow "
                                         "backfill create`"):
        plan_partitions(None, ["opensky"], replay=True)


def test_same_night_twice_leaves_identical_tables(night):
    dag = load_dag()
    run_night(dag, DAY, {"replay": False})
    before = checksum("flights")
    second = run_night(dag, DAY, {"replay": False})
    assert second.state == "success"
    assert checksum("flights") == before
    assert query("SELECT status, count(*) FROM load_log GROUP BY 1 ORDER BY 1") == [
        ("loaded", 3), ("unchanged", 3)]


def test_replay_rebuilds_from_raw_without_network(night, monkeypatch, tmp_path):
    dag = load_dag()
    run_night(dag, DAY, {"replay": False})
    rows_without_lineage = "SELECT * EXCLUDE (run_id, loaded_at) FROM flights ORDER BY flight_id"
    fetched = query(rows_without_lineage)
    Settings.from_env().duckdb_path.unlink()  # lose the database, keep the raw zone
    monkeypatch.setenv("FDP_OPENSKY_API_URL", "http://127.0.0.1:9/unreachable")
    monkeypatch.setenv("FDP_OPENSKY_AUTH_URL", "http://127.0.0.1:9/unreachable")
    requests_before = len(night.api_requests) + len(night.token_requests)

    run = run_night(dag, DAY, {"replay": True})

    assert run.state == "success"
    assert len(night.api_requests) + len(night.token_requests) == requests_before
    assert len(fetched) == 11
    assert query(rows_without_lineage) == fetched
    assert query("SELECT DISTINCT run_id FROM flights") == [(run.run_id,)]


def test_weekly_reference_dag_loads_airports_and_airlines(fdp_env, airflow_metadata):
    run = run_dag(load_dag(REFERENCE_DAG_ID), datetime(2025, 11, 24, 12, tzinfo=UTC), {})
    assert run.state == "success"
    assert query("SELECT source, \"partition\", status, rows FROM load_log ORDER BY 1") == [
        ("airlines", "airlines", "loaded", 268),  # offline here: the curated file alone
        ("airports", "airportsdata", "loaded", 28298),
        ("countries", "cldr", "loaded", 258)]
    assert not Settings.from_env().reports_dir.exists()  # reference data gets no report
