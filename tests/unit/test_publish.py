"""Publishing: readers get a checked copy of the database, replaced atomically; a publish
brings the older of two copies up to date with the days written since, and the copy readers
get always equals the database it was published from."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import timedelta

import duckdb
import pytest
from conftest import add_airports
from test_store import fixture_frame, stage

from pipeline import nightly, store
from pipeline.config import Settings
from pipeline.errors import PipelineError


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"FDP_HOME": str(tmp_path / "home")})


def flights(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM flights").fetchall()[0][0]


def load_and_publish(settings: Settings, tmp_path, frame, run_id: str,
                     partition: str = "2025-11-20/SVMI") -> None:
    with store.connect(settings.duckdb_path) as con:
        store.load_partitions(con, [stage(tmp_path, frame, partition)], run_id)
        store.publish(con, settings)


def later(frame, days: int):
    """The fixture's flights, as if flown `days` days later (other flights, other days)."""
    shift = timedelta(days=days)
    return frame.assign(flight_id=frame["flight_id"] + f"+{days}",
                        flight_date=frame["flight_date"] + shift,
                        dep_time_utc=frame["dep_time_utc"] + shift,
                        arr_time_utc=frame["arr_time_utc"] + shift)


def tables(path) -> dict[str, list[tuple]]:
    """Every table readers can query, whole and sorted."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [n for (n,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}


def only_published_files(settings: Settings) -> bool:
    """The published file and its two slots, one of which it is; nothing left over."""
    published = settings.published_path
    names = {p.name for p in published.parent.iterdir()}
    slots = [published.with_name(f".fdp.duckdb.{s}") for s in "ab"]
    return (names <= {"fdp.duckdb", ".fdp.duckdb.a", ".fdp.duckdb.b"}
            and any(s.exists() and s.samefile(published) for s in slots))


def test_readers_see_the_published_night_and_cannot_change_it(settings, tmp_path):
    load_and_publish(settings, tmp_path, fixture_frame(), "run-1")
    with store.connect_published(settings) as con:
        assert flights(con) == len(fixture_frame())
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("DELETE FROM flights")
    assert only_published_files(settings)


def test_nothing_published_says_how_to_publish(settings):
    with (pytest.raises(PipelineError, match=r"nothing is published .* run `fdp publish`"),
          store.connect_published(settings)):
        pass


def test_a_reader_with_the_old_night_open_keeps_it_until_it_reconnects(settings, tmp_path):
    load_and_publish(settings, tmp_path, fixture_frame().iloc[:3], "run-1")
    with store.connect_published(settings) as old_reader:
        load_and_publish(settings, tmp_path, fixture_frame(), "run-2")
        assert flights(old_reader) == 3  # its file was replaced, not changed under it
    with store.connect_published(settings) as new_reader:
        assert flights(new_reader) == len(fixture_frame())


def test_a_failed_check_leaves_the_last_good_night_published(settings, tmp_path):
    load_and_publish(settings, tmp_path, fixture_frame(), "run-1")
    with store.connect(settings.duckdb_path) as con:
        # two statuses of one carrier in one country at once: the check must refuse this
        con.execute("""INSERT INTO carrier_status
            (carrier_icao, jurisdiction_country, status, valid_from, authority, action_id)
            VALUES ('IBE', 'VE', 'revoked', DATE '2025-11-26', 'INAC', 'a'),
                   ('IBE', 'VE', 'suspended', DATE '2025-11-27', 'INAC', 'b')""")
        with pytest.raises(PipelineError, match=r"010_carrier_status_overlaps.sql: 1 row"):
            store.publish(con, settings)
    with store.connect_published(settings) as con:
        assert con.execute("SELECT count(*) FROM carrier_status").fetchall() == [(0,)]
    assert only_published_files(settings)


def test_a_failed_load_is_published_as_a_failure_with_the_tables_unchanged(settings, tmp_path):
    load_and_publish(settings, tmp_path, fixture_frame(), "run-1")
    # a status the table's CHECK constraint refuses
    broken = stage(tmp_path, fixture_frame().assign(status="landed"), "2025-11-21/SVMC")
    changed = stage(tmp_path, fixture_frame().iloc[:2], "2025-11-20/SVMI")
    with pytest.raises(PipelineError, match="rolled back"):
        nightly.load_night([asdict(changed), asdict(broken)], settings, "run-2")
    with store.connect_published(settings) as con:
        assert flights(con) == len(fixture_frame())
        failed = con.execute("SELECT count(*) FROM load_log WHERE run_id = 'run-2' "
                             "AND status = 'failed'").fetchall()
    assert failed == [(2,)]


def test_night_after_night_the_published_copy_equals_the_database(settings, tmp_path, caplog):
    """New days, a partition replaced by fewer flights, a failed load, a rebuild: after each
    publish, readers get exactly what the database holds, though only the first two copied
    it whole."""
    frame = fixture_frame()
    caplog.set_level(logging.INFO, logger="pipeline.store.publish")
    steps = [
        lambda con: store.load_partitions(con, [stage(tmp_path, frame, "2025-11-20/SVMI")], "1"),
        lambda con: store.load_partitions(
            con, [stage(tmp_path, later(frame, 1), "2025-11-21/SVMI")], "2"),
        lambda con: store.load_partitions(
            con, [stage(tmp_path, later(frame, 2), "2025-11-22/SVMI"),
                  stage(tmp_path, later(frame, 1).iloc[:4], "2025-11-21/SVMI")], "3"),
        lambda con: store.rebuild_derived(con),
        lambda con: store.load_partitions(
            con, [stage(tmp_path, later(frame, 2).iloc[:2], "2025-11-22/SVMI")], "5"),
    ]
    for step in steps:
        with store.connect(settings.duckdb_path) as con:
            step(con)
            store.publish(con, settings)
        assert tables(settings.published_path) == tables(settings.duckdb_path)
        assert only_published_files(settings)
    how = [m.split("(")[1].split(",")[0] for m in caplog.messages if m.startswith("published")]
    assert how == ["copied whole"] * 2 + ["updated in place"] * 3


def test_a_growing_table_gets_the_rows_it_lacks_and_a_rebuilt_one_is_copied(settings, tmp_path,
                                                                          caplog):
    """route_crossings only grows between rebuilds: a night adds the new airport pairs'
    countries, a rebuild rewrites it. Either way the published copy equals the database."""
    frame = fixture_frame()
    with store.connect(settings.duckdb_path) as con:
        add_airports(con, ("LTFM", "SVMI", "LEMD", "SVMC", "SBGR", "SVVA", "SKBO"))
    caplog.set_level(logging.INFO, logger="pipeline.store.publish")
    new_pair = later(frame, 2).assign(origin_icao="SKBO")  # Bogota: pairs not flown before
    steps = [
        lambda con: store.load_partitions(con, [stage(tmp_path, frame, "2025-11-20/SVMI")], "1"),
        lambda con: store.load_partitions(
            con, [stage(tmp_path, later(frame, 1), "2025-11-21/SVMI")], "2"),
        lambda con: store.load_partitions(
            con, [stage(tmp_path, new_pair, "2025-11-22/SVMI")], "3"),
        lambda con: store.rebuild_derived(con),
    ]
    crossings = []
    for step in steps:
        with store.connect(settings.duckdb_path) as con:
            step(con)
            store.publish(con, settings)
            crossings.append(con.execute("SELECT count(*) FROM route_crossings").fetchall()[0])
        assert tables(settings.published_path) == tables(settings.duckdb_path)
    assert crossings[1] < crossings[2] == crossings[3]  # Bogota's pairs came on the third night
    how = [m.split("(")[1].split(",")[0] for m in caplog.messages if m.startswith("published")]
    assert how == ["copied whole"] * 2 + ["updated in place"] * 2


def test_a_slot_a_reader_kept_open_two_nights_is_copied_anew(settings, tmp_path):
    load_and_publish(settings, tmp_path, fixture_frame(), "1")
    with store.connect_published(settings) as old_reader:
        load_and_publish(settings, tmp_path, later(fixture_frame(), 1), "2", "2025-11-21/SVMI")
        load_and_publish(settings, tmp_path, later(fixture_frame(), 2), "3", "2025-11-22/SVMI")
        assert flights(old_reader) == len(fixture_frame())  # its night, unchanged under it
    assert tables(settings.published_path) == tables(settings.duckdb_path)
    with store.connect_published(settings) as new_reader:
        assert flights(new_reader) == 3 * len(fixture_frame())


def test_a_write_that_recorded_no_change_is_caught_and_copied_whole(settings, tmp_path, caplog):
    load_and_publish(settings, tmp_path, fixture_frame(), "1")
    load_and_publish(settings, tmp_path, later(fixture_frame(), 1), "2", "2025-11-21/SVMI")
    with store.connect(settings.duckdb_path) as con:  # past the load, so nothing recorded
        con.execute("DELETE FROM flights WHERE flight_date = DATE '2025-11-19'")
        store.publish(con, settings)
    assert "other row counts" in caplog.text
    assert tables(settings.published_path) == tables(settings.duckdb_path)


def test_changes_both_slots_hold_are_forgotten(settings, tmp_path):
    for n in range(4):
        load_and_publish(settings, tmp_path, later(fixture_frame(), n), str(n),
                         f"2025-11-{20 + n}/SVMI")
    with store.connect(settings.duckdb_path) as con:
        kept = con.execute("SELECT DISTINCT seq FROM fdp_publish.changes ORDER BY 1").fetchall()
        clock = con.execute("SELECT seq, pruned_through FROM fdp_publish.clock").fetchall()
    assert clock == [(4, 3)] and kept == [(4,)]  # the slot published before holds seq 3


def test_a_published_copy_somebody_wrote_to_is_copied_anew(settings, tmp_path):
    load_and_publish(settings, tmp_path, fixture_frame(), "1")
    with duckdb.connect(str(settings.published_path)) as writer_of_the_copy:
        writer_of_the_copy.execute("UPDATE flights SET status = 'cancelled'")
    load_and_publish(settings, tmp_path, later(fixture_frame(), 1), "2", "2025-11-21/SVMI")
    load_and_publish(settings, tmp_path, later(fixture_frame(), 2), "3", "2025-11-22/SVMI")
    assert tables(settings.published_path) == tables(settings.duckdb_path)


def test_a_slot_gets_the_days_it_replaces_in_date_order(settings, tmp_path):
    """A partition may hold flights of another day (an arrival list's flight that left the day
    before). Listed as the database lists them, by partition, one day's rows were spread over
    the slot's row groups, and the next night's delete of that day made its checkpoint merge
    and rewrite them all."""
    frame = fixture_frame()
    load_and_publish(settings, tmp_path, frame, "1")  # both slots copied whole
    load_and_publish(settings, tmp_path, later(frame, 1), "2", "2025-11-21/SVMI")
    with store.connect(settings.duckdb_path) as con:
        store.load_partitions(con, [stage(tmp_path, later(frame, 3), "2025-11-22/SVMI"),
                                    stage(tmp_path, later(frame, 2), "2025-11-23/SVMI")], "3")
        store.publish(con, settings)  # in place: the two partitions' days replaced
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        listed = [day for (day,) in con.execute(
            "SELECT flight_date FROM flights ORDER BY rowid").fetchall()]
    assert listed == sorted(listed)
    assert tables(settings.published_path) == tables(settings.duckdb_path)
