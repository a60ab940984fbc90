"""DuckDB store: migrations once, partition replace in one transaction, failures change nothing."""

from __future__ import annotations

import os
from datetime import date

import duckdb
import pandas as pd
import pytest
from conftest import load_fixture

from pipeline import config, store
from pipeline.errors import PipelineError
from pipeline.sources import opensky
from pipeline.staging import content_sha256, write_parquet

WATCHED = ("SVMC", "SVMI")
AIRLINES = frozenset({"IBE", "VCV", "ROI", "LER", "THY", "GLO"})
# The by-day tables whose key index migration 018 dropped.
UNINDEXED = ("flights", "route_daily", "carrier_country_days", "airport_traffic_daily",
             "country_daily")


def stage(tmp_path, frame: pd.DataFrame, partition: str, fetched_at: str | None = None
          ) -> store.StagedPartition:
    path = tmp_path / "staging" / f"{partition.replace('/', '_')}.parquet"
    write_parquet(frame.assign(source_partition=partition), path)
    return store.StagedPartition("opensky", "flights", partition, str(path), len(frame), "raw",
                                 f"{content_sha256(frame)}|{fetched_at}", fetched_at)


def fixture_frame(departures=None) -> pd.DataFrame:
    if departures is None:
        departures = load_fixture("opensky/departure_SVMI_2025-11-20.json")
    return opensky.normalize_flights(
        departures,
        load_fixture("opensky/arrival_SVMI_2025-11-20.json"),
        day=date(2025, 11, 20), airport="SVMI", watched_airports=WATCHED, airlines=AIRLINES,
    )


def table(con, name: str) -> list[tuple]:
    return con.execute(f"SELECT * EXCLUDE (loaded_at) FROM {name} ORDER BY ALL").fetchall()


def test_migrations_apply_once_and_are_recorded(tmp_path):
    path = tmp_path / "fdp.duckdb"
    with store.connect(path) as con:
        names = [n for (n,) in con.execute("SELECT name FROM schema_migrations ORDER BY version"
                                           ).fetchall()]
        assert names == sorted(p.name for p in store.MIGRATIONS_DIR.glob("0*.sql"))[1:]
        assert names[:2] == ["001_flights.sql", "002_load_log.sql"]
        assert store.migrate(con) == []


def test_migration_018_keeps_the_rows_and_constraints_of_the_tables_it_unindexes(tmp_path):
    path = tmp_path / "fdp.duckdb"
    with store.connect(path) as con:
        store.load_partitions(con, [stage(tmp_path, fixture_frame(), "2025-11-20/SVMI")], "r")
        before = {t: con.sql(f"FROM {t} ORDER BY ALL").fetchall() for t in UNINDEXED}
    with duckdb.connect(str(path)) as con:  # its tables as migration 017 left them
        con.execute("DELETE FROM schema_migrations WHERE version IN (18, 21, 25)")
        con.execute("ALTER TABLE route_daily DROP COLUMN route_key; "
                    "DROP TABLE fdp_state.route_keys; "
                    "ALTER TABLE route_daily DROP COLUMN timed_flights; "
                    "ALTER TABLE route_daily DROP COLUMN median_flight_minutes; "
                    "ALTER TABLE route_daily DROP COLUMN flight_minutes_baseline; "
                    "ALTER TABLE route_daily DROP COLUMN flight_minutes_spread; "
                    "DROP TABLE route_crossings; DROP TABLE route_detours")
        for name in UNINDEXED:
            con.execute(f"CREATE TABLE old AS FROM {name}; DROP TABLE {name}; "
                        f"ALTER TABLE old RENAME TO {name}")
        con.execute("ALTER TABLE flights ADD PRIMARY KEY (source, flight_id)")
    with store.connect(path) as con:
        assert {t: con.sql(f"FROM {t} ORDER BY ALL").fetchall() for t in UNINDEXED} == before
        assert before["flights"] and before["route_daily"] and before["airport_traffic_daily"]
        kinds = con.execute("SELECT table_name, constraint_type FROM duckdb_constraints() "
                            "WHERE table_name = 'flights'").fetchall()
        assert ("flights", "PRIMARY KEY") not in kinds and ("flights", "NOT NULL") in kinds
        assert ("flights", "CHECK") in kinds


@pytest.mark.parametrize(("table_name", "check_file"), [("flights", "010_flights_once.sql"),
                                                        ("route_daily", "020_route_daily_once")])
def test_a_written_day_with_a_key_twice_is_refused(tmp_path, table_name, check_file):
    with store.connect(tmp_path / "fdp.duckdb") as con:
        store.load_partitions(con, [stage(tmp_path, fixture_frame(), "2025-11-20/SVMI")], "r")
        con.begin()
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS "
                    "SELECT DISTINCT flight_date AS d FROM flights")
        store.derive(con)
        store.check_written_days(con)  # as every load leaves them: each key once
        con.execute(f"INSERT INTO {table_name} FROM {table_name} LIMIT 1")
        with pytest.raises(PipelineError, match=check_file):
            store.check_written_days(con)
        con.rollback()


def test_load_replaces_exactly_its_partition(tmp_path):
    frame = fixture_frame()
    other = fixture_frame().assign(source_partition="2025-11-21/SVMI",
                                   flight_id=lambda f: f["flight_id"].str[::-1])
    with store.connect(tmp_path / "fdp.duckdb") as con:
        store.load_partitions(con, [stage(tmp_path, frame, "2025-11-20/SVMI"),
                                    stage(tmp_path, other, "2025-11-21/SVMI")], "run-1")
        smaller = frame.iloc[:3]
        store.load_partitions(con, [stage(tmp_path, smaller, "2025-11-20/SVMI")], "run-2")
        counts = dict(con.execute(
            "SELECT source_partition, count(*) FROM flights GROUP BY 1").fetchall())
    assert counts == {"2025-11-20/SVMI": 3, "2025-11-21/SVMI": len(other)}


def test_same_content_twice_leaves_rows_untouched(tmp_path):
    frame = fixture_frame()
    with store.connect(tmp_path / "fdp.duckdb") as con:
        first = store.load_partitions(con, [stage(tmp_path, frame, "2025-11-20/SVMI")], "run-1")
        before = table(con, "flights")
        second = store.load_partitions(con, [stage(tmp_path, frame, "2025-11-20/SVMI")], "run-2")
        assert table(con, "flights") == before
        statuses = con.execute("SELECT run_id, status, rows FROM load_log ORDER BY run_id"
                               ).fetchall()
    assert [r.status for r in first + second] == ["loaded", "unchanged"]
    assert statuses == [("run-1", "loaded", 10), ("run-2", "unchanged", 10)]


def test_timestamps_are_stored_as_utc_timestamps(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as con:
        con.execute("SET TimeZone = 'America/Caracas'")  # a reader's zone must not shift data
        store.load_partitions(con, [stage(tmp_path, fixture_frame(), "2025-11-20/SVMI")], "r")
        row = con.execute("SELECT typeof(dep_time_utc), dep_time_utc, flight_date FROM flights "
                          "WHERE callsign = 'IBE6674'").fetchone()
    assert row[0] == "TIMESTAMP"
    assert str(row[1]) == "2025-11-20 22:58:12" and str(row[2]) == "2025-11-20"


def test_a_failing_partition_rolls_back_the_whole_load_and_is_logged(tmp_path):
    good = stage(tmp_path, fixture_frame(), "2025-11-20/SVMI")
    # a status the table's CHECK constraint refuses (the normalizer's schema would too)
    broken = stage(tmp_path, fixture_frame().assign(status="landed"), "2025-11-21/SVMC")
    with store.connect(tmp_path / "fdp.duckdb") as con:
        store.load_partitions(con, [good], "run-1")
        before = table(con, "flights")
        changed = stage(tmp_path, fixture_frame().iloc[:2], "2025-11-20/SVMI")
        with pytest.raises(PipelineError, match=r"rolled back.*(?i:constraint)"):
            store.load_partitions(con, [changed, broken], "run-2")
        assert table(con, "flights") == before
        failed = con.execute("SELECT \"partition\", message FROM load_log "
                             "WHERE status = 'failed' ORDER BY 1").fetchall()
    assert [p for p, _ in failed] == ["2025-11-20/SVMI", "2025-11-21/SVMC"]
    assert "onstraint" in failed[0][1]


def test_a_load_out_of_memory_says_which_setting_to_raise_in_one_line(tmp_path):
    """DuckDB's own out-of-memory text spans lines and advises SQL SET commands, which a user
    of `fdp` or the DAG cannot type: the error names the limit and our setting instead."""
    part = stage(tmp_path, fixture_frame(), "2025-11-20/SVMI")
    with store.connect(tmp_path / "fdp.duckdb") as con:
        con.execute("SET memory_limit = '4MB'")  # this partition's load fails at 8 MB, passes at 16
        with pytest.raises(PipelineError) as raised:
            store.load_partitions(con, [part], "run-1")
        failed = con.execute("SELECT count(*) FROM load_log WHERE status = 'failed'").fetchall()
        assert con.execute("SELECT count(*) FROM flights").fetchall() == [(0,)]
    message = str(raised.value)
    assert "\n" not in message and "SET " not in message
    assert "memory_limit (3.8 MiB)" in message and "Fix: set FDP_DUCKDB_MEMORY_LIMIT" in message
    assert failed == [(1,)]


def flights_by_partition(con) -> list[tuple]:
    return con.execute("SELECT source_partition, flight_id, fetched_at FROM flights "
                       "ORDER BY ALL").fetchall()


def test_a_flight_in_two_partitions_is_stored_once_from_the_newest_fetch(tmp_path):
    """A watchlist change or an airport OpenSky re-estimated puts one flight in two partitions
    (the same flight_id): the night goes on, the copy from the newer fetch is stored, load_log
    counts the merge, and the order in which the partitions load does not matter."""
    frame = fixture_frame()
    svbc = frame.iloc[:4]  # the first four flights, also listed by another airport's partition
    older, newer = "2025-11-21T01:00:00", "2025-11-22T01:00:00"
    results = {}
    for order in ("svmi-first", "svbc-first", "one-night"):
        parts = [stage(tmp_path / order, frame, "2025-11-20/SVMI", older),
                 stage(tmp_path / order, svbc, "2025-11-20/SVBC", newer)]
        if order == "svbc-first":
            parts.reverse()
        loads = [parts] if order == "one-night" else [[part] for part in parts]
        with store.connect(tmp_path / order / "fdp.duckdb") as con:
            for n, load in enumerate(loads):
                store.load_partitions(con, load, f"run-{n}")
            results[order] = flights_by_partition(con)
            merged = dict(con.execute("SELECT \"partition\", merged FROM load_log").fetchall())
            [message] = [m for (m,) in con.execute("SELECT message FROM load_log").fetchall()
                         if m]
        # the load that met the overlap counts it (one night: the partition that lost)
        assert sorted(merged.values()) == [0, 4]
        assert message.startswith("4 flight(s) also given by other partitions")
    assert results["svmi-first"] == results["svbc-first"] == results["one-night"]
    held = [p for p, _, _ in results["svmi-first"]]
    assert held.count("2025-11-20/SVBC") == 4 and held.count("2025-11-20/SVMI") == len(frame) - 4


def test_a_flight_the_holding_partition_drops_comes_back_from_the_other_copy(tmp_path):
    frame = fixture_frame()
    with store.connect(tmp_path / "fdp.duckdb") as con:
        store.load_partitions(con, [stage(tmp_path, frame, "2025-11-20/SVMI", "2025-11-21T01:00"),
                                    stage(tmp_path, frame.iloc[:4], "2025-11-20/SVBC",
                                          "2025-11-22T01:00")], "run-1")
        # SVBC's newer fetch no longer lists two of its four flights: SVMI's copies return
        store.load_partitions(con, [stage(tmp_path, frame.iloc[:2], "2025-11-20/SVBC",
                                          "2025-11-23T01:00")], "run-2")
        held = [p for p, _, _ in flights_by_partition(con)]
        copies = con.execute("SELECT source_partition, count(*) FROM flight_copies GROUP BY 1"
                             ).fetchall()
    assert len(held) == len(frame)
    assert held.count("2025-11-20/SVBC") == 2
    assert copies == [("2025-11-20/SVMI", 2)]


def test_missing_staging_file_fails_without_partial_rows(tmp_path):
    part = stage(tmp_path, fixture_frame(), "2025-11-20/SVMI")
    (tmp_path / "staging" / "2025-11-20_SVMI.parquet").unlink()
    with store.connect(tmp_path / "fdp.duckdb") as con:
        with pytest.raises(FileNotFoundError):
            store.load_partitions(con, [part], "run-1")
        assert con.execute("SELECT count(*) FROM flights").fetchone() == (0,)


def test_read_only_connect_creates_and_migrates_a_missing_database(tmp_path):
    with store.connect(tmp_path / "new" / "fdp.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM flights").fetchone() == (0,)


def test_duckdb_resources_come_from_the_settings_or_safe_defaults(tmp_path, monkeypatch):
    """Memory, threads and spill folder are settable; by default DuckDB gets 60% of what the
    process may use (not 80% of the host's RAM) and spills under FDP_HOME."""
    monkeypatch.setenv("FDP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FDP_DUCKDB_MEMORY_LIMIT", "512MB")
    monkeypatch.setenv("FDP_DUCKDB_THREADS", "1")
    setting = "SELECT current_setting(?)"
    with store.connect(tmp_path / "fdp.duckdb") as con:
        limit = con.execute(setting, ["memory_limit"]).fetchall()[0][0]
        threads = con.execute(setting, ["threads"]).fetchall()[0][0]
        temp = con.execute(setting, ["temp_directory"]).fetchall()[0][0]
    assert (limit, threads) == ("488.2 MiB", 1)  # DuckDB shows 512 MB in MiB
    assert temp == str(tmp_path / "home" / "tmp" / "duckdb")
    monkeypatch.delenv("FDP_DUCKDB_MEMORY_LIMIT")
    monkeypatch.delenv("FDP_DUCKDB_THREADS")
    defaults = config.duckdb_resources()
    usable = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert float(defaults["memory_limit"].removesuffix("MiB")) <= 0.6 * usable / 2**20 + 1
    assert 1 <= int(defaults["threads"]) <= len(os.sched_getaffinity(0))


def test_a_load_that_spills_finds_its_spill_folder(tmp_path, monkeypatch):
    """DuckDB makes only the last folder of temp_directory: a fresh FDP_HOME has no tmp/, and a
    derive too big for memory failed on it (the year of `make bench`)."""
    monkeypatch.setenv("FDP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FDP_DUCKDB_MEMORY_LIMIT", "40MB")
    monkeypatch.setenv("FDP_DUCKDB_THREADS", "1")
    with store.connect(tmp_path / "fdp.duckdb") as con:
        con.execute("CREATE TABLE big AS SELECT i, md5(i::VARCHAR) AS h FROM range(3000000) t(i)")
        ordered = con.execute("SELECT h FROM big ORDER BY h DESC LIMIT 1").fetchone()
    assert ordered is not None
    assert (tmp_path / "home" / "tmp" / "duckdb").is_dir()
