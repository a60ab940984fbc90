"""Airlines reference: the curated file's facts hold together, normalize on a SYNTHETIC-labelled
airlines.dat excerpt, fetch against a real local HTTP server (and with no server at all), and a
load into DuckDB through the real migration and load SQL."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pandera.errors
import pytest
from conftest import FIXTURES
from werkzeug import Response as WerkzeugResponse

from pipeline import store
from pipeline.config import DEFAULT_REGISTRY, Settings
from pipeline.errors import SourceError
from pipeline.http import USER_AGENT
from pipeline.raw import RawRecord, RawZone
from pipeline.reference.airlines import CURATED_AIRLINES, known_airline_icao, load_curated
from pipeline.sources import airlines
from pipeline.sources.base import FetchContext, Response
from pipeline.staging import content_sha256, write_parquet

DAT_PATH = "/openflights/airlines.dat"
NO_SERVER = "http://127.0.0.1:9/airlines.dat"  # the discard port: nothing answers
FIRST = datetime(2025, 11, 20, 1, tzinfo=UTC)
LATER = datetime(2025, 11, 21, 1, tzinfo=UTC)
FIXTURE = (FIXTURES / "openflights" / "airlines.dat").read_bytes()
# OpenFlights rows of the fixture that survive: a designator the curated file lacks, one each.
OPENFLIGHTS_ONLY = {"ACR", "DNL", "MEP", "OHK", "STG", "TNM", "TYR", "VNE", "ZZQ"}


@pytest.fixture(autouse=True)
def no_real_openflights(monkeypatch):
    """Like conftest's loopback URLs: a test that forgets its server never reaches GitHub."""
    monkeypatch.setenv(airlines.URL_VARIABLE, NO_SERVER)


@pytest.fixture(scope="module")
def curated() -> pd.DataFrame:
    return load_curated()


def response(request: str, body: bytes, *, usable: bool = True) -> Response:
    record = RawRecord(
        source="airlines", partition="airlines", fetch_id="f", request=request, url="u",
        params={}, status=200, fetched_at=FIRST.isoformat(), sha256="-", bytes=len(body),
        file="-", usable=usable)
    return Response(record, body)


def normalize(*responses: Response) -> pd.DataFrame:
    return airlines.normalize(list(responses), None, None, airlines.PARTITION)


def fixture_frame() -> pd.DataFrame:
    return normalize(response("openflights", FIXTURE),
                     response("curated", CURATED_AIRLINES.read_bytes()))


def row(frame: pd.DataFrame, icao: str) -> pd.Series:
    [found] = frame[frame["airline_icao"] == icao].to_dict("records")
    return pd.Series(found)


# --- the curated file -------------------------------------------------------------------------

def test_curated_file_is_large_enough_and_loads(curated):
    assert len(curated) >= 140
    assert curated["name"].notna().all()


def test_curated_designator_periods_are_unique(curated):
    keyed = curated.dropna(subset=["icao"])
    assert not keyed.duplicated(["icao", "valid_from"]).any()


def test_every_permit_action_carrier_is_curated(curated):
    with open(DEFAULT_REGISTRY, encoding="utf-8", newline="") as handle:
        carriers = {r["carrier_icao"] for r in csv.DictReader(handle) if r["carrier_icao"]}
    assert carriers <= set(curated["icao"].dropna())
    assert carriers <= known_airline_icao()


def test_an_iata_code_has_one_holder_at_a_time(curated):
    far_past, far_future = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-01-01")
    periods = curated.dropna(subset=["iata"]).assign(
        start=lambda f: f["valid_from"].fillna(far_past),
        end=lambda f: f["valid_to"].fillna(far_future)).sort_values(["iata", "start"])
    for code, group in periods.groupby("iata"):
        ends, starts = group["end"].to_list()[:-1], group["start"].to_list()[1:]
        assert all(end <= start for end, start in zip(ends, starts, strict=True)), code


def test_reused_codes_pass_from_one_holder_to_the_next(curated):
    holders = curated[curated["iata"].isin(["AZ", "OH", "EV"])].sort_values(
        ["iata", "valid_from"], na_position="first")
    assert holders[["iata", "icao"]].values.tolist() == [
        ["AZ", "AZA"], ["AZ", "ITY"], ["EV", "ASQ"], ["EV", "ASQ"], ["OH", "COM"], ["OH", "JIA"]]


def test_countries_are_iso_alpha2(curated):
    # The name table lists the ISO code of every country OpenFlights names: a curated code
    # outside it is most likely a typo such as UK for GB.
    iso = set(pd.read_csv(airlines.COUNTRY_NAMES, dtype=str)["country"])
    assert set(curated["country"].dropna()) <= iso


def test_known_designators_are_the_curated_ones(curated):
    known = known_airline_icao()
    assert {"AAL", "ARE", "AVA", "IBE", "ITY", "AZA", "JIA"} <= known
    assert len(known) == curated["icao"].nunique()  # Plus Ultra (no ICAO) adds nothing


@pytest.mark.parametrize("bad", [
    "ABC,A,Bad Air,US,,,",                   # one-letter IATA code
    "ABC,AB,Bad Air,USA,,,",                 # alpha-3 country
    "ABC,AB,Bad Air,US,2020-01-01,2019-01-01,",  # ends before it starts
    "AAL,AA,American again,US,,,",           # second open-start row of a designator
])
def test_load_curated_rejects_a_bad_row(bad):
    text = CURATED_AIRLINES.read_text(encoding="utf-8") + bad + "\n"
    with pytest.raises(pandera.errors.SchemaError):
        load_curated(io.BytesIO(text.encode()))


# --- normalize --------------------------------------------------------------------------------

def test_curated_rows_win_and_openflights_fills_the_rest(curated):
    frame = fixture_frame()
    openflights = frame[frame["origin"] == "openflights"]
    assert set(openflights["airline_icao"]) == OPENFLIGHTS_ONLY
    assert len(frame) == curated["icao"].notna().sum() + len(OPENFLIGHTS_ONLY)
    aires = row(frame, "ARE")  # OpenFlights: name cut at its commas, country " S.A."
    assert (aires["origin"], aires["iata"], aires["country"]) == ("curated", "4C", "CO")
    assert aires["name"].startswith("Aerovías de Integración Regional")
    assert row(frame, "LER")["iata"] == "QL"  # not OpenFlights' stale "8z"
    assert pd.isna(row(frame, "AAL")["callsign"])  # curated rows carry no callsign


def test_nulls_inactive_and_unusable_designators(caplog):
    caplog.set_level(logging.INFO, logger=airlines.__name__)
    frame = fixture_frame()
    assert not frame["airline_icao"].isin(["N/A", "4SW", "???", "ZZR"]).any()
    tyrolean = row(frame, "TYR")  # listed twice; the lower id wins
    assert (tyrolean["name"], tyrolean["iata"], tyrolean["country"]) == (
        "Austrian Arrows", "VO", "AT")
    venezolana = row(frame, "VNE")  # inactive, no IATA code
    assert not venezolana["active"] and pd.isna(venezolana["iata"])
    assert pd.isna(row(frame, "MEP")["callsign"])
    assert pd.isna(row(frame, "DNL")["country"])  # "Netherlands Antilles": no ISO code
    assert (row(frame, "TNM")["country"], row(frame, "OHK")["country"]) == ("AW", "HK")
    assert (row(frame, "ZZQ")["country"], bool(row(frame, "ZZQ")["active"])) == ("KR", False)
    assert "1 OpenFlights rows name a country missing" in caplog.text
    assert "skipped 1 airlines.dat lines with more than 8 fields" in caplog.text


def test_names_split_at_commas_are_glued_back():
    frame = fixture_frame()
    one_cut, two_cuts = row(frame, "ACR"), row(frame, "STG")
    assert one_cut["name"] == "Aerocenter, Escuela de Formacion de Pioltos Privados de Avion"
    assert (one_cut["callsign"], pd.isna(one_cut["country"])) == ("AEROCENTER", True)
    assert two_cuts["name"] == "Sedalia, Marshall, Boonville Stage Line"
    assert pd.isna(two_cuts["callsign"]) and two_cuts["note"] == airlines.CUT_NOTE


def test_history_rows_keep_their_periods_and_activity():
    frame = fixture_frame()
    expressjet = frame[frame["airline_icao"] == "ASQ"]
    days = expressjet[["valid_from", "valid_to"]].apply(
        lambda column: column.dt.strftime("%Y-%m-%d").fillna("open"))
    assert days.values.tolist() == [["open", "2012-01-01"], ["2012-01-01", "2022-08-23"]]
    assert row(frame, "ITY")["active"] and not row(frame, "AZA")["active"]


def test_without_openflights_only_the_curated_rows_are_kept(curated, caplog):
    frame = normalize(response("openflights", b"", usable=False),
                      response("curated", CURATED_AIRLINES.read_bytes()))
    assert set(frame["origin"]) == {"curated"}
    assert len(frame) == curated["icao"].notna().sum()
    assert "no usable OpenFlights copy" in caplog.text


def test_an_invalid_curated_file_names_the_fix():
    broken = CURATED_AIRLINES.read_bytes() + b"ABC,AB,Bad Air,USA,,,\n"
    with pytest.raises(SourceError, match=r"(?s)curated airlines file is invalid.*Fix: correct"):
        normalize(response("openflights", FIXTURE), response("curated", broken))


# --- fetch ------------------------------------------------------------------------------------

@pytest.fixture
def served(httpserver, fdp_env, monkeypatch) -> Settings:
    httpserver.expect_request(DAT_PATH).respond_with_data(FIXTURE, content_type="text/plain")
    monkeypatch.setenv(airlines.URL_VARIABLE, httpserver.url_for(DAT_PATH))
    return Settings.from_env()


def fetch(settings: Settings, now: datetime = LATER) -> list[Response]:
    """Fetch the partition; return the responses of the fetch now newest."""
    raw = RawZone(settings.raw_dir)
    airlines.fetch(FetchContext(settings, raw, {}, now=lambda: now), now.date(), "airlines")
    return [Response(r, raw.read(r)) for r in raw.latest("airlines", "airlines")]


def test_fetch_stores_openflights_and_the_curated_file_in_one_fetch(served, httpserver):
    responses = fetch(served)
    assert [(r.record.request, r.record.status, r.record.usable) for r in responses] == [
        ("openflights", 200, True), ("curated", 200, True)]
    assert responses[0].body == FIXTURE
    assert responses[1].body == CURATED_AIRLINES.read_bytes()
    assert len({r.record.fetch_id for r in responses}) == 1
    assert httpserver.log[0][0].headers["User-Agent"] == USER_AGENT
    frame = airlines.normalize(responses, None, None, "airlines")
    assert frame.equals(fixture_frame())


def test_offline_fetch_completes_with_the_curated_file_and_records_the_failure(fdp_env,
                                                                               caplog):
    responses = fetch(Settings.from_env())  # the autouse fixture points at a dead port
    failed, curated = responses
    assert (failed.record.request, failed.record.status, failed.record.usable) == (
        "openflights", 0, False)
    assert failed.record.url == NO_SERVER and failed.body == b""
    assert failed.record.note.startswith("download failed: no answer from " + NO_SERVER)
    assert (curated.record.request, curated.record.usable) == ("curated", True)
    assert "the table holds the curated rows only" in caplog.text
    frame = airlines.normalize(responses, None, None, "airlines")
    assert set(frame["origin"]) == {"curated"}


def test_offline_fetch_carries_the_last_good_copy_forward(served, monkeypatch, caplog):
    fetch(served, FIRST)
    responses = fetch(replace(served, openflights_airlines_url=NO_SERVER), LATER)
    assert [(r.record.request, r.record.usable) for r in responses] == [
        ("openflights", False), ("openflights-carried", True), ("curated", True)]
    carried = responses[1]
    assert carried.body == FIXTURE
    assert carried.record.fetched_at == FIRST.isoformat()  # as old as the copy really is
    assert "carrying forward the OpenFlights copy fetched" in caplog.text
    frame = airlines.normalize(responses, None, None, "airlines")
    assert frame.equals(fixture_frame())


def test_a_replay_reads_the_curated_file_again_and_downloads_nothing(served, httpserver,
                                                                      tmp_path, monkeypatch):
    fetch(served, FIRST)
    edited = tmp_path / "curated.csv"  # an edit of the curated file, picked up by the replay
    edited.write_bytes(CURATED_AIRLINES.read_bytes())
    monkeypatch.setattr(airlines, "CURATED_AIRLINES", edited)
    raw = RawZone(served.raw_dir)
    airlines.fetch(FetchContext(served, raw, {}, now=lambda: LATER, offline=True),
                   LATER.date(), "airlines")
    responses = raw.latest("airlines", "airlines")
    assert [(r.request, r.usable, r.url) for r in responses] == [
        ("openflights-carried", True, httpserver.url_for(DAT_PATH)),
        ("curated", True, edited.as_uri())]
    assert len(httpserver.log) == 1  # the first, live fetch only


@pytest.mark.parametrize(("answer", "status", "problem"), [
    (WerkzeugResponse("gone", 404), 404, "HTTP 404"),
    (WerkzeugResponse("<html><body>maintenance</body></html>", 200), 200,
     "the body is not airlines.dat"),
])
def test_a_bad_answer_is_kept_unusable(httpserver, fdp_env, monkeypatch, answer, status,
                                       problem):
    httpserver.expect_request(DAT_PATH).respond_with_response(answer)
    monkeypatch.setenv(airlines.URL_VARIABLE, httpserver.url_for(DAT_PATH))
    failed, _ = fetch(Settings.from_env())
    assert (failed.record.status, failed.record.usable) == (status, False)
    assert problem in failed.record.note


# --- load -------------------------------------------------------------------------------------

def stage(tmp_path: Path, frame: pd.DataFrame, name: str) -> store.StagedPartition:
    path = tmp_path / "staging" / f"{name}.parquet"
    write_parquet(frame, path)
    return store.StagedPartition("airlines", "airlines", "airlines", str(path), len(frame),
                                 "raw", content_sha256(frame))


def test_load_replaces_the_table_with_typed_rows(tmp_path, curated):
    full = fixture_frame()
    curated_only = full[full["origin"] == "curated"]
    with store.connect(tmp_path / "fdp.duckdb") as con:
        store.load_partitions(con, [stage(tmp_path, full, "full")], "run-1")
        assert con.execute("SELECT count(*) FROM airlines").fetchone() == (len(full),)
        [types] = con.execute("SELECT typeof(valid_from), typeof(valid_to), typeof(active) "
                              "FROM airlines LIMIT 1").fetchall()
        assert types == ("DATE", "DATE", "BOOLEAN")
        assert con.execute(
            "SELECT iata, country, origin, source_partition, run_id FROM airlines "
            "WHERE airline_icao = 'ITY'").fetchall() == [("AZ", "IT", "curated", "airlines",
                                                          "run-1")]
        assert con.execute(
            "SELECT airline_icao FROM airlines WHERE iata = 'AZ' "
            "AND coalesce(valid_from, DATE '0001-01-01') <= DATE '2021-10-14' "
            "AND coalesce(valid_to, DATE '9999-12-31') > DATE '2021-10-14'").fetchall() == [
                ("AZA",)]
        store.load_partitions(con, [stage(tmp_path, curated_only, "curated")], "run-2")
        assert con.execute("SELECT count(*), min(run_id), max(run_id) FROM airlines"
                           ).fetchone() == (len(curated_only), "run-2", "run-2")
        statuses = con.execute("SELECT run_id, status FROM load_log ORDER BY run_id").fetchall()
    assert statuses == [("run-1", "loaded"), ("run-2", "loaded")]


def test_the_table_refuses_two_open_periods_of_one_designator(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as con:
        insert = ("INSERT INTO airlines (airline_icao, name, origin, source_partition, run_id, "
                  "loaded_at) VALUES ('ASQ', 'x', 'curated', 'airlines', 'r', now())")
        con.execute(insert)
        with pytest.raises(duckdb.ConstraintException):
            con.execute(insert)


def test_no_url_means_the_curated_file_alone(served):
    responses = fetch(replace(served, openflights_airlines_url=""))
    assert [r.record.request for r in responses] == ["curated"]
    frame = airlines.normalize(responses, None, None, "airlines")
    assert set(frame["origin"]) == {"curated"}
