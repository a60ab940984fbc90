"""OpenSky's world mode (/flights/all in 2-hour windows): the windows, the plan, the normalizer,
and the fetch with the real HTTP client against a local OpenSky (tests/fake_opensky.py)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pandas as pd
import pytest
from conftest import load_fixture
from fake_opensky import FakeOpenSky
from werkzeug import Response as HttpResponse

from pipeline import nightly
from pipeline.config import Settings, credentials_from_env
from pipeline.errors import SourceError
from pipeline.raw import RawZone
from pipeline.sources import opensky, opensky_all
from pipeline.sources.base import FetchContext, NormalizeContext, Response
from pipeline.watchlist import Watchlist

DAY = date(2025, 11, 20)
LATER = datetime(2025, 11, 21, 1, tzinfo=UTC)
AIRLINES = frozenset({"AVA", "GLO", "VCV", "LER", "KAL", "ROI", "RYR", "BCS"})
WORLD = Watchlist(countries=("VE",), airports=("SVMI",), firs=(), scope="world")
AIRPORTS = Watchlist(countries=("VE",), airports=("SVMC", "SVMI"), firs=())


def window_fixture(window: str) -> list[dict]:
    return load_fixture(f"opensky/all_2025-11-20_{window}.json")


def test_twelve_windows_cover_the_day_with_no_gap_no_overlap_and_no_midnight():
    bounds = [opensky_all.window_bounds(DAY, w) for w in opensky_all.WINDOWS]
    assert opensky_all.WINDOWS[0] == "00-02" and opensky_all.WINDOWS[-1] == "22-24"
    assert len(bounds) == 12
    midnight = datetime(2025, 11, 20, tzinfo=UTC)
    assert bounds[0][0] == midnight.timestamp()
    assert bounds[-1][1] == (midnight + timedelta(days=1)).timestamp() - 1  # 23:59:59, same day
    for (_, end), (next_begin, _) in pairwise(bounds):
        assert next_begin == end + 1  # OpenSky's end is inclusive: each second in one window
    assert {end - begin for begin, end in bounds} == {7199}  # within the 2-hour limit


def test_world_scope_plans_the_windows_and_airport_scope_the_airports(tmp_path):
    raw = RawZone(tmp_path)
    world = nightly.plan(DAY, WORLD, ["opensky"], raw=raw, today=None)
    assert [p.name for p in world] == [f"2025-11-20/{w}" for w in opensky_all.WINDOWS]
    assert {p.source for p in world} == {"opensky"}
    airports = nightly.plan(DAY, AIRPORTS, ["opensky"], raw=raw, today=None)
    assert [p.name for p in airports] == ["2025-11-20/SVMC", "2025-11-20/SVMI"]


def test_a_window_keeps_every_flight_whatever_its_airports():
    frame = opensky_all.normalize_window(window_fixture("00-02"), partition="2025-11-20/00-02",
                                         airlines=AIRLINES)
    assert sorted(frame["callsign"].dropna()) == ["AVA9302", "BCS6789", "GLO1234", "N512AB"]
    assert frame["callsign"].isna().sum() == 1  # no callsign, no airports: kept all the same
    assert set(frame["source"]) == {"opensky"}
    assert set(frame["source_partition"]) == {"2025-11-20/00-02"}
    by_callsign = {row.callsign: row for row in frame.dropna(subset=["callsign"]).itertuples()}
    assert str(by_callsign["N512AB"].flight_date.date()) == "2025-11-19"  # left the day before
    assert by_callsign["N512AB"].carrier_icao is pd.NA  # a registration, not an airline
    assert (by_callsign["GLO1234"].carrier_icao, by_callsign["GLO1234"].origin_icao) == (
        "GLO", "SBGR")


def test_a_flight_has_the_same_id_in_both_windows_and_in_airport_mode():
    def ids(frame):
        return dict(zip(frame["callsign"].fillna(""), frame["flight_id"], strict=True))

    first = ids(opensky_all.normalize_window(window_fixture("00-02"), partition="2025-11-20/00-02",
                                             airlines=AIRLINES))
    second = ids(opensky_all.normalize_window(window_fixture("02-04"),
                                              partition="2025-11-20/02-04", airlines=AIRLINES))
    assert first["GLO1234"] == second["GLO1234"]
    world = ids(opensky_all.normalize_window(window_fixture("12-14"), partition="2025-11-20/12-14",
                                             airlines=AIRLINES))
    airport = ids(opensky.normalize_flights(
        load_fixture("opensky/departure_SVMI_2025-11-20.json"), [], day=DAY, airport="SVMI",
        watched_airports=("SVMI",), airlines=AIRLINES))
    assert world["VCV1020"] == airport["VCV1020"]


def test_a_flight_without_a_field_names_source_and_window():
    flights = window_fixture("02-04")
    del flights[1]["firstSeen"]
    with pytest.raises(SourceError, match=r"^opensky 2025-11-20/02-04: flight #1 lacks "
                                          r"fields \['firstSeen'\]"):
        opensky_all.normalize_window(flights, partition="2025-11-20/02-04", airlines=AIRLINES)


@pytest.fixture
def sky(httpserver, fdp_env, monkeypatch) -> FakeOpenSky:
    fake = FakeOpenSky(httpserver)
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    for window in ("00-02", "02-04"):
        begin, _ = opensky_all.window_bounds(DAY, window)
        fake.serve_window(begin, window_fixture(window))
    return fake


def context(settings: Settings, now=lambda: LATER) -> FetchContext:
    return FetchContext(settings, RawZone(settings.raw_dir),
                        {"opensky": credentials_from_env("opensky")}, now=now)


def fetch_and_normalize(ctx: FetchContext, window: str):
    """Through the registered source, as a night does: its raw records and its frame."""
    opensky.fetch(ctx, DAY, window)
    records = ctx.raw.latest("opensky", f"2025-11-20/{window}")
    responses = [Response(r, ctx.raw.read(r)) for r in records]
    frame = opensky.normalize(responses, NormalizeContext(ctx.settings, WORLD, AIRLINES), DAY,
                              window)
    return records, frame


def test_each_window_is_one_get_with_its_bounds_and_one_token_for_all(sky):
    ctx = context(Settings.from_env())
    for window in opensky_all.WINDOWS:
        opensky.fetch(ctx, DAY, window)
    assert [r.path for r in sky.api_requests] == ["/api/flights/all"] * 12
    assert [(int(r.args["begin"]), int(r.args["end"])) for r in sky.api_requests] == [
        opensky_all.window_bounds(DAY, w) for w in opensky_all.WINDOWS]
    assert len(sky.token_requests) == 1
    [record] = ctx.raw.latest("opensky", "2025-11-20/00-02")
    assert (record.request, record.status, record.params) == (
        "window", 200, dict(zip(("begin", "end"), opensky_all.window_bounds(DAY, "00-02"),
                                strict=True)))


def test_an_empty_window_is_a_404_and_no_flights(sky):
    records, frame = fetch_and_normalize(context(Settings.from_env()), "04-06")
    assert [(r.status, r.bytes, r.usable) for r in records] == [(404, 0, True)]
    assert frame.empty and list(frame.columns) == list(
        opensky_all.normalize_window([], partition="x", airlines=AIRLINES).columns)


@pytest.mark.parametrize("header", ["X-Rate-Limit-Retry-After-Seconds", "Retry-After"])
def test_429_is_waited_out_as_the_server_asks(sky, header):
    sky.scripted = [HttpResponse("", 429, headers={header: "1"})]
    started = time.monotonic()
    records, frame = fetch_and_normalize(context(Settings.from_env()), "00-02")
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in records] == [200] and len(frame) == 5


def test_429_asking_for_hours_fails_fast_naming_the_window(sky):
    sky.scripted = [HttpResponse("", 429, headers={"X-Rate-Limit-Retry-After-Seconds": "7200"})]
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"^opensky 2025-11-20/00-02: rate limited: server "
                                          r"asked to retry after 7200 s"):
        opensky.fetch(context(Settings.from_env()), DAY, "00-02")
    assert time.monotonic() - started < 5


def test_a_malformed_window_fails_naming_source_and_window_and_is_kept(sky):
    sky.scripted = [HttpResponse("<html>maintenance</html>", 200, content_type="text/html")]
    settings = Settings.from_env()
    with pytest.raises(SourceError, match=r"^opensky 2025-11-20/02-04: malformed window "
                                          r"payload: not JSON"):
        opensky.fetch(context(settings), DAY, "02-04")
    raw = RawZone(settings.raw_dir)
    assert raw.latest("opensky", "2025-11-20/02-04") == []  # never replayed
    [kept] = raw.records("opensky", "2025-11-20/02-04")
    assert (kept.request, kept.usable, raw.read(kept)) == (
        "window", False, b"<html>maintenance</html>")


def test_403_says_the_account_may_not_read_flights(sky):
    sky.scripted = [HttpResponse("", 403)]
    with pytest.raises(SourceError, match=r"^opensky 2025-11-20/00-02: HTTP 403 from "
                                          r".*/flights/all.*OPENSKY_CLIENT_ID"):
        opensky.fetch(context(Settings.from_env()), DAY, "00-02")


def test_today_is_refused_before_any_request(sky):
    with pytest.raises(SourceError, match="past UTC days only"):
        opensky.fetch(context(Settings.from_env(),
                              now=lambda: datetime(2025, 11, 20, 23, tzinfo=UTC)), DAY, "00-02")
    assert sky.api_requests == []
