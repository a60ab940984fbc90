"""The route detector (sql/derive/0[2-4]0_*.sql) on flight histories with known answers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pipeline import store

pytestmark = pytest.mark.slow  # see `make test-fast`

START = date(2025, 1, 6)  # a Monday
HUB_ROUTES = [("HUB", "AAAA", f"Z{n:03d}") for n in range(12)]  # background traffic at AAAA


@pytest.fixture
def con(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as connection:
        yield connection


def add_flights(con, route, days, per_day=1):
    carrier, origin, dest = route
    rows = [(f"{carrier}{origin}{dest}{day}{n}", day, carrier, origin, dest)
            for day in days for n in range(per_day)]
    con.executemany(
        "INSERT INTO flights (flight_id, source, source_partition, flight_date, carrier_icao, "
        "origin_icao, dest_icao, status, run_id, loaded_at) "
        "VALUES (?, 'test', 'p', ?, ?, ?, ?, 'observed', 't', now())", rows)


def days(first: int, last: int, weekdays=range(1, 8)) -> list[date]:
    span = (START + timedelta(days=n) for n in range(first, last + 1))
    return [d for d in span if d.isoweekday() in weekdays]


def background(con, last: int = 90, skip: tuple[int, ...] = ()):
    """Other traffic at AAAA every day, so that days have data (and AAAA a baseline)."""
    for route in HUB_ROUTES:
        add_flights(con, route, [d for d in days(0, last) if (d - START).days not in skip])


def events(con, route=None):
    store.rebuild_derived(con)
    query = ("SELECT event_type, event_date, last_flight_date, detected_on FROM route_events "
             "WHERE carrier_icao <> 'HUB'")
    if route:
        query += f" AND carrier_icao = '{route[0]}' AND dest_icao = '{route[2]}'"
    return con.execute(query + " ORDER BY event_date, event_type").fetchall()


def d(n: int) -> date:
    return START + timedelta(days=n)


DAILY = ("DLY", "AAAA", "BBBB")
WEEKLY = ("WKL", "AAAA", "CCCC")


def test_daily_route_that_stops_is_suspended_within_days(con):
    background(con)
    add_flights(con, DAILY, days(0, 59))
    assert events(con, DAILY) == [("suspended", d(60), d(59), d(62))]  # 3 silent days


def test_daily_route_missing_two_days_is_not_news(con):
    background(con)
    add_flights(con, DAILY, [x for x in days(0, 90) if (x - START).days not in (40, 41)])
    assert events(con, DAILY) == []


def test_weekly_route_silent_for_six_days_is_not_news(con):
    background(con)
    add_flights(con, WEEKLY, days(0, 90, weekdays=[3]))
    assert events(con, WEEKLY) == []


def test_weekly_route_that_stops_is_flagged_after_three_missed_weeks(con):
    background(con)
    add_flights(con, WEEKLY, days(0, 55, weekdays=[3]))  # last Wednesday: day 51
    [(kind, event_date, last, detected)] = events(con, WEEKLY)
    assert (kind, event_date, last) == ("suspended", d(52), d(51))
    assert detected == d(51 + 21)  # the third missed Wednesday: P = exp(-3) <= 0.05


def test_a_day_without_any_data_is_no_evidence(con):
    background(con, skip=(61, 62, 63))  # nothing at all loaded on those days
    add_flights(con, DAILY, days(0, 59))
    assert events(con, DAILY) == [("suspended", d(60), d(59), d(65))]


def test_an_airport_whose_whole_traffic_vanished_is_a_hole_not_a_suspension(con):
    background(con, last=64)  # AAAA goes dark from day 65 (coverage gap or closure)
    add_flights(con, ("OTH", "QQQQ", "RRRR"), days(0, 90))  # data keeps coming elsewhere
    add_flights(con, DAILY, days(0, 64))
    assert events(con, DAILY) == []


def test_a_route_that_comes_back_is_resumed(con):
    background(con)
    add_flights(con, DAILY, days(0, 39) + days(50, 90))
    assert events(con, DAILY) == [("suspended", d(40), d(39), d(42)),
                                  ("resumed", d(50), d(39), d(50))]


def test_a_new_route_is_started_once_it_flies_twice(con):
    background(con)
    add_flights(con, DAILY, days(40, 90, weekdays=[1, 4]))
    [(kind, event_date, last, detected)] = events(con, DAILY)
    assert (kind, event_date, last) == ("started", d(42), None)  # the first Monday
    assert detected == d(45)  # confirmed by the Thursday after


def test_night_by_night_gives_the_same_events_as_one_rebuild(con):
    background(con)
    add_flights(con, DAILY, days(0, 39) + days(50, 90))
    add_flights(con, WEEKLY, days(0, 55, weekdays=[3]))
    rebuilt = events(con)
    con.execute("DELETE FROM route_events; DELETE FROM route_daily; "
                "DELETE FROM airport_traffic_daily")
    for n in range(0, 91):  # as the nightly loads do: one touched day at a time
        con.begin()
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS SELECT ?::DATE AS d", [d(n)])
        store.derive(con)
        con.commit()
    nightly = con.execute("SELECT event_type, event_date, last_flight_date, detected_on "
                          "FROM route_events WHERE carrier_icao <> 'HUB' "
                          "ORDER BY event_date, event_type").fetchall()
    assert nightly == rebuilt and len(rebuilt) == 3


def test_airport_traffic_flags_a_collapsed_day(con):
    background(con, skip=(70,))
    add_flights(con, ("ONE", "AAAA", "SSSS"), [d(70)])  # 1 flight instead of ~12
    store.rebuild_derived(con)
    [(flights, baseline, disrupted)] = con.execute(
        "SELECT flights, baseline, disrupted FROM airport_traffic_daily "
        "WHERE airport_icao = 'AAAA' AND flight_date = ?", [d(70)]).fetchall()
    assert (flights, baseline, disrupted) == (1, 12.0, True)
    assert con.execute("SELECT count(*) FROM airport_traffic_daily WHERE airport_icao = 'AAAA' "
                       "AND disrupted").fetchall() == [(1,)]
