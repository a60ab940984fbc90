"""One physical flight given by two sources (an OpenSky observation of a flight a BTS list
reports) counts once in the route and traffic tables, whichever source loads first; the
other row stays in flights, named in flight_duplicates with the kept row's id."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES

from pipeline import store
from pipeline.config import Settings
from pipeline.flightlists import importer
from pipeline.sources import opensky
from pipeline.staging import content_sha256, write_parquet

BTS_CSV = (FIXTURES / "flightlists"
           / "On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2024_3.csv")
DAY = date(2024, 3, 9)  # the fixture's AA 1 JFK-LAX, 07:00 EST, left 4 minutes early


def observation(callsign: str, first_seen: str) -> dict:
    """An OpenSky flights-API record of that flight (SYNTHETIC: made for this test)."""
    seen = int(datetime.fromisoformat(first_seen).replace(tzinfo=UTC).timestamp())
    return {"icao24": "a1b2c3", "firstSeen": seen, "lastSeen": seen + 6 * 3600,
            "estDepartureAirport": "KJFK", "estArrivalAirport": "KLAX", "callsign": callsign}


def load_opensky(settings: Settings, flights: list[dict]) -> None:
    frame = opensky.normalize_flights(flights, [], day=DAY, airport="KJFK",
                                      watched_airports=("KJFK",), airlines=frozenset({"AAL"}))
    path = settings.staging_dir / "opensky.parquet"
    write_parquet(frame, path)
    staged = store.StagedPartition("opensky", "flights", "2024-03-09/KJFK", str(path),
                                   len(frame), "raw", content_sha256(frame),
                                   "2024-03-10T01:00:00")
    with store.connect(settings.duckdb_path) as con:
        store.load_partitions(con, [staged], "opensky-run")
        store.publish(con, settings)


def load_bts(settings: Settings) -> None:
    importer.import_and_load([BTS_CSV], "bts-ontime", settings, "bts-run")


def route_count(settings: Settings) -> list[tuple]:
    with store.connect_published(settings) as con:
        return con.execute(
            "SELECT flights FROM route_daily WHERE carrier_icao = 'AAL' AND origin_icao = 'KJFK' "
            "AND dest_icao = 'KLAX' AND flight_date = ?", [DAY]).fetchall()


def published(settings: Settings, query: str) -> list[tuple]:
    with store.connect_published(settings) as con:
        return con.execute(query).fetchall()


@pytest.mark.parametrize("bts_first", [True, False])
def test_a_flight_both_sources_give_counts_once(tmp_path: Path, bts_first: bool):
    settings = Settings.from_env({"FDP_HOME": str(tmp_path / "fdp")})
    steps = [load_bts, lambda s: load_opensky(s, [observation("AAL1", "2024-03-09T12:08:00")])]
    for step in steps if bts_first else steps[::-1]:
        step(settings)
    assert route_count(settings) == [(1,)]
    assert published(settings, "SELECT source, kept_source FROM flight_duplicates") == [
        ("opensky", "bts")]
    assert published(settings, "SELECT count(*) FROM flights WHERE flight_date = DATE "
                               "'2024-03-09' AND carrier_icao = 'AAL'") == [(2,)]
    assert published(settings, "SELECT flights FROM airport_traffic_daily WHERE airport_icao "
                               "= 'KLAX' AND flight_date = DATE '2024-03-09'") == [(1,)]


def test_flights_that_only_look_alike_both_count(tmp_path: Path):
    """Another flight number, or a departure more than 3 hours apart, is another flight."""
    settings = Settings.from_env({"FDP_HOME": str(tmp_path / "fdp")})
    load_bts(settings)
    load_opensky(settings, [observation("AAL77", "2024-03-09T12:08:00"),
                            observation("AAL1", "2024-03-09T17:30:00")])
    assert route_count(settings) == [(3,)]
    assert published(settings, "SELECT count(*) FROM flight_duplicates") == [(0,)]
