"""Publishing: readers get a checked, whole copy of the database, replaced atomically."""

from __future__ import annotations

from dataclasses import asdict

import duckdb
import pytest
from test_store import fixture_frame, stage

from pipeline import nightly, store
from pipeline.config import Settings
from pipeline.errors import PipelineError


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"FDP_HOME": str(tmp_path / "home")})


def flights(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM flights").fetchall()[0][0]


def load_and_publish(settings: Settings, tmp_path, frame, run_id: str) -> None:
    with store.connect(settings.duckdb_path) as con:
        store.load_partitions(con, [stage(tmp_path, frame, "2025-11-20/SVMI")], run_id)
        store.publish(con, settings)


def test_readers_see_the_published_night_and_cannot_change_it(settings, tmp_path):
    load_and_publish(settings, tmp_path, fixture_frame(), "run-1")
    with store.connect_published(settings) as con:
        assert flights(con) == len(fixture_frame())
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("DELETE FROM flights")
    assert list(settings.published_path.parent.iterdir()) == [settings.published_path]


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
    assert list(settings.published_path.parent.iterdir()) == [settings.published_path]


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
