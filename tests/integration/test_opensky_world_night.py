"""Whole nights in OpenSky's world mode (watchlist `scope = "world"`): a local OpenSky on
127.0.0.1 answers /flights/all for 20 Nov 2025 from the SYNTHETIC fixtures
tests/fixtures/opensky/all_2025-11-20_*.json; rows land in a real DuckDB file. Every window
loads once, a flight two windows list is stored once, replay needs no network, and a flight
fetched in both modes (a watchlist switched between them) is stored once too, and so is a
flight across midnight that two nights list."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import derived_rows, load_fixture, table_checksum
from fake_opensky import CLIENT_ID, CLIENT_SECRET, FakeOpenSky

from pipeline import nightly, store
from pipeline.config import Settings, credentials_from_env
from pipeline.sources import opensky, opensky_all

DAY = date(2025, 11, 20)
SERVED = ("00-02", "02-04", "12-14", "22-24")  # the other windows answer 404: no flights
WORLD = 'countries = ["VE"]\nairports = ["SVMI"]\nscope = "world"\n'
AIRPORTS = 'countries = ["VE"]\nairports = ["SVMI"]\n'


def fixture_flights() -> list[dict]:
    return [f for w in SERVED for f in load_fixture(f"opensky/all_2025-11-20_{w}.json")]


@pytest.fixture
def sky(httpserver, fdp_env, tmp_path, monkeypatch) -> FakeOpenSky:
    fake = FakeOpenSky(httpserver)
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    for window in SERVED:
        begin, _ = opensky_all.window_bounds(DAY, window)
        fake.serve_window(begin, load_fixture(f"opensky/all_2025-11-20_{window}.json"))
    begin, _ = opensky.day_window(DAY)
    fake.serve("departure", "SVMI", begin, load_fixture("opensky/departure_SVMI_2025-11-20.json"))
    fake.serve("arrival", "SVMI", begin, load_fixture("opensky/arrival_SVMI_2025-11-20.json"))
    watch(tmp_path, monkeypatch, WORLD)
    return fake


def watch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(text, encoding="utf-8")
    monkeypatch.setenv("FDP_WATCHLIST", str(watchlist))


def run(replay: bool = False, at: datetime = datetime(2025, 11, 21, 1, tzinfo=UTC),
        day: date = DAY) -> list[dict]:
    credentials = {} if replay else {"opensky": credentials_from_env("opensky")}
    return nightly.run_night(day, Settings.from_env(), replay=replay, sources=["opensky"],
                             credentials=credentials, now=lambda: at)


def query(sql: str) -> list[tuple]:
    with duckdb.connect(str(Settings.from_env().duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def flights_checksum() -> str:
    with duckdb.connect(str(Settings.from_env().duckdb_path), read_only=True) as con:
        return table_checksum(con, "(SELECT * EXCLUDE (run_id, loaded_at) FROM flights)")


def test_a_world_night_loads_every_window_once_and_a_shared_flight_once(sky):
    results = run()

    assert len(sky.api_requests) == 12 and len(sky.token_requests) == 1
    assert [(r["partition"], r["status"]) for r in results] == [
        (f"2025-11-20/{w}", "loaded") for w in opensky_all.WINDOWS]
    assert {r["partition"]: r["rows"] for r in results if r["rows"]} == {
        "2025-11-20/00-02": 5, "2025-11-20/02-04": 3, "2025-11-20/12-14": 2,
        "2025-11-20/22-24": 2}
    distinct = {(f["icao24"], f["firstSeen"]) for f in fixture_flights()}
    assert len(distinct) == 11  # 12 listings: GLO1234 is in two windows
    assert query("SELECT count(*), count(DISTINCT flight_id) FROM flights") == [(11, 11)]
    # GLO1234 was in the air across 02:00: stored once, from the newer fetch (equal fetch times:
    # the greater partition), the other copy waiting in flight_copies
    assert query("SELECT source, source_partition FROM flights WHERE callsign = 'GLO1234'") == [
        ("opensky", "2025-11-20/02-04")]
    assert query("SELECT source_partition FROM flight_copies WHERE callsign = 'GLO1234'") == [
        ("2025-11-20/00-02",)]
    assert query("SELECT \"partition\", merged FROM load_log WHERE merged > 0") == [
        ("2025-11-20/00-02", 1)]
    # every flight of the world, not only the watched airport's, each dated by its departure
    assert query("SELECT count(*) FROM flights WHERE 'SVMI' NOT IN "
                 "(coalesce(origin_icao, ''), coalesce(dest_icao, ''))") == [(10,)]
    assert query("SELECT CAST(flight_date AS VARCHAR) FROM flights "
                 "WHERE callsign = 'N512AB'") == [("2025-11-19",)]


def test_the_same_world_night_twice_changes_nothing(sky):
    run()
    before = flights_checksum()
    results = run(at=datetime(2025, 11, 21, 5, tzinfo=UTC))  # fetched again, later, same answers
    assert len(sky.api_requests) == 24
    assert {r["status"] for r in results} == {"unchanged"}
    assert flights_checksum() == before


def test_replay_rebuilds_the_same_rows_with_no_network(sky, monkeypatch):
    run()
    fetched = flights_checksum()
    Settings.from_env().duckdb_path.unlink()  # lose the database, keep the raw zone
    monkeypatch.setenv("FDP_OPENSKY_API_URL", "http://127.0.0.1:9/unreachable")
    monkeypatch.setenv("FDP_OPENSKY_AUTH_URL", "http://127.0.0.1:9/unreachable")
    requests_before = len(sky.api_requests) + len(sky.token_requests)

    results = run(replay=True)

    assert len(sky.api_requests) + len(sky.token_requests) == requests_before
    assert len(results) == 12
    assert flights_checksum() == fetched
    assert query("SELECT count(*) FROM flights") == [(11,)]


def test_a_flight_fetched_in_both_modes_is_stored_once(sky, tmp_path, monkeypatch):
    watch(tmp_path, monkeypatch, AIRPORTS)
    run()
    airport_rows = query("SELECT count(*) FROM flights")[0][0]
    assert query("SELECT source_partition FROM flights WHERE callsign = 'VCV1020'") == [
        ("2025-11-20/SVMI",)]

    watch(tmp_path, monkeypatch, WORLD)  # the same night again, now in world mode
    results = run(at=datetime(2025, 11, 21, 2, tzinfo=UTC))

    [window] = [r for r in results if r["partition"] == "2025-11-20/12-14"]
    assert window["merged"] == 1 and "taken over from 2025-11-20/SVMI" in window["message"]
    assert query("SELECT source, source_partition FROM flights "
                 "WHERE callsign = 'VCV1020'") == [("opensky", "2025-11-20/12-14")]
    # the airport list's other flights stay; the world's 11 are added, VCV1020 not twice
    assert query("SELECT count(*), count(DISTINCT flight_id) FROM flights") == [
        (airport_rows + 10, airport_rows + 10)]


def test_a_flight_across_midnight_in_two_nights_windows_is_stored_and_counted_once(sky):
    """AVA011 leaves MMMX at 23:30 on 20 Nov and lands at SKBO at 02:10 on the 21st: the 20th's
    22-24 window lists it, and (SYNTHETIC, as OpenSky may) so do the 21st's 00-02 and 02-04.
    It is one flight of the 20th, counted once, and the nights' derived tables equal one
    rebuild's."""
    [ava011] = [f for f in load_fixture("opensky/all_2025-11-20_22-24.json")
                if f["callsign"].strip() == "AVA011"]
    next_day = DAY + timedelta(days=1)
    for window in ("00-02", "02-04"):
        sky.serve_window(opensky_all.window_bounds(next_day, window)[0], [ava011])
    route_day = ("SELECT CAST(flight_date AS VARCHAR), flights FROM route_daily "
                 "WHERE carrier_icao = 'AVA' AND origin_icao = 'MMMX' AND dest_icao = 'SKBO'")

    run()
    assert query(route_day) == [("2025-11-20", 1)]
    results = run(day=next_day, at=datetime(2025, 11, 22, 1, tzinfo=UTC))
    assert {r["partition"]: r["rows"] for r in results if r["rows"]} == {
        "2025-11-21/00-02": 1, "2025-11-21/02-04": 1}
    # the 20th fetched again after the 21st: the same answers, so nothing changes
    again = run(at=datetime(2025, 11, 22, 2, tzinfo=UTC))
    assert {r["status"] for r in again} == {"unchanged"}

    # kept from the newest fetch (equal fetch times: the greater partition), dated by departure
    assert query("SELECT CAST(flight_date AS VARCHAR), source_partition FROM flights "
                 "WHERE callsign = 'AVA011'") == [("2025-11-20", "2025-11-21/02-04")]
    assert query("SELECT source_partition FROM flight_copies WHERE callsign = 'AVA011' "
                 "ORDER BY 1") == [("2025-11-20/22-24",), ("2025-11-21/00-02",)]
    assert query(route_day) == [("2025-11-20", 1)]
    with store.connect(Settings.from_env().duckdb_path) as con:
        nights = derived_rows(con)
        store.rebuild_derived(con)
        assert derived_rows(con) == nights


def test_a_world_night_through_the_real_dag(sky, monkeypatch, airflow_metadata):
    from pipeline.airflow_runner import load_dag, run_night

    # in Airflow the credentials come from the connection opensky_default
    monkeypatch.delenv("OPENSKY_CLIENT_ID")
    monkeypatch.delenv("OPENSKY_CLIENT_SECRET")
    monkeypatch.setenv("AIRFLOW_CONN_OPENSKY_DEFAULT", json.dumps(
        {"conn_type": "generic", "login": CLIENT_ID, "password": CLIENT_SECRET}))

    dag_run = run_night(load_dag(), DAY, {"replay": False, "sources": ["opensky"]})

    assert dag_run.state == "success"
    # the DAG maps fetch and normalize over chunks of the plan's partitions: the twelve
    # windows are one chunk, so one fetch and one normalize task instance
    instances = [t.task_id for t in dag_run.get_task_instances()]
    assert (instances.count("fetch"), instances.count("normalize")) == (1, 1)
    assert len(sky.api_requests) == 12
    assert query("SELECT count(*), count(DISTINCT flight_id) FROM flights") == [(11, 11)]
    assert query("SELECT count(*) FROM load_log WHERE source = 'opensky' "
                 "AND status = 'loaded'") == [(12,)]


def test_a_retried_fetch_task_does_not_fetch_again_what_its_run_fetched(sky):
    """A chunk's fetch task that failed part-way is retried whole: what the DAG run already
    fetched is not fetched, and paid for in OpenSky credits, again; a later run fetches."""
    from pipeline.airflow_tasks import fetch, plan_partitions

    [chunk] = plan_partitions(datetime(2025, 11, 20, tzinfo=UTC), ["opensky"], replay=False)
    run_started = datetime.now(UTC)
    fetch(chunk, replay=False, run_started=run_started)
    assert len(sky.api_requests) == 12
    fetch(chunk, replay=False, run_started=run_started)  # the task's retry in the same run
    assert len(sky.api_requests) == 12
    fetch(chunk, replay=False, run_started=datetime.now(UTC))  # the next night's run
    assert len(sky.api_requests) == 24
