"""Each route suspension's likely causes (sql/views/050_route_causes.sql), ranked, and only
those known by the day asked about."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_route_detector import add_airports, add_flights, background, d, days

from pipeline import store

pytestmark = pytest.mark.slow  # see `make test-fast`

ROUTE = ("AVA", "SKBO", "AAAA")  # AAAA: the hub of test_route_detector, here in Venezuela


@pytest.fixture
def con(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as connection:
        background(connection)
        add_airports(connection, {"AAAA": "VE", "SKBO": "CO", "BBBB": "VE", "SKCL": "CO"})
        add_flights(connection, ROUTE, days(0, 59), per_day=2)  # last flight: day 59
        yield connection


def act(con, action_id, action, carrier, effective: date, announced: date,
        country="VE", authority="INAC"):
    con.execute("INSERT INTO permit_actions (action_id, authority, action, carrier_icao, "
                "jurisdiction_country, effective_date, announced_date, source_url, "
                "source_partition, run_id, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                "'https://example.org', 'registry', 't', now())",
                [action_id, authority, action, carrier, country, effective, announced])


def notice(con, notice_id, fir, start: date):
    con.execute("INSERT INTO airspace_notices (notice_id, notice_key, issuer, fir, notam_type, "
                "category, effective_start, effective_end, text, source, source_partition, "
                "first_seen_partition, run_id, loaded_at) VALUES (?, ?, 'KICZ', ?, 'N', "
                "'advisory', ?, NULL, 'text', 'faa_notam', 'p', 'p', 't', now())",
                [notice_id, notice_id, fir, start])


def causes(con, day: date) -> list[tuple]:
    store.rebuild_derived(con)
    return con.execute(
        "SELECT cause_rank, cause_type, cause_id, days_after_last_flight FROM "
        "route_event_causes_known(?) WHERE carrier_icao = 'AVA' ORDER BY cause_rank",
        [day]).fetchall()


def test_acts_then_airspace_then_a_carrier_wide_stop_ranked(con):
    act(con, "ava-rev", "revoked", "AVA", d(64), d(64))
    act(con, "ava-vol", "voluntary_suspension", "AVA", d(61), d(60))
    notice(con, "KICZ A0012/25", "SVZM", d(58))  # no airport here starts with SV: no match
    notice(con, "KICZ A0099/25", "AAZZ", d(58))  # the hub's area (its ICAO prefix AA)
    assert causes(con, d(70)) == [
        (1, "official_act", "ava-vol", 2),
        (2, "official_act", "ava-rev", 5),
        (3, "airspace", "KICZ A0099/25", -1),
        (4, "carrier_wide", "CO", 1),
        (5, "carrier_wide", "VE", 1),
    ]


def test_a_cause_is_shown_only_from_the_day_it_was_known(con):
    act(con, "ava-rev", "revoked", "AVA", d(64), d(64))
    store.rebuild_derived(con)
    [(detected,)] = con.execute("SELECT detected_on FROM route_events "
                                "WHERE carrier_icao = 'AVA' AND event_type = 'suspended'"
                                ).fetchall()
    assert detected == d(63)  # four silent days: before the act was known
    assert causes(con, d(63)) == [(1, "none_found", None, None)]
    assert [c[2] for c in causes(con, d(64))] == ["ava-rev"]  # carrier-wide: from day 67


def test_with_nothing_found_the_suspension_says_so(con):
    add_flights(con, ("AVA", "AAAA", "BBBB"), days(0, 90))  # AVA flies on in Venezuela
    add_flights(con, ("AVA", "SKBO", "SKCL"), days(0, 90))  # and in Colombia
    store.rebuild_derived(con)
    assert causes(con, d(80)) == [(1, "none_found", None, None)]
    [(summary,)] = con.execute("SELECT summary FROM route_suspension_summaries(?) "
                               "WHERE origin_icao = 'SKBO'", [d(80)]).fetchall()
    assert summary == (f"AVA SKBO-AAAA: last flight {d(59).day} {d(59):%b %Y}; no act, "
                       "notice, carrier-wide stop or airport disruption found")


def test_an_airport_disruption_after_the_last_flight_is_a_cause(con):
    con.execute("DELETE FROM flights WHERE carrier_icao = 'HUB' AND flight_date = ?",
                [d(60)])
    add_flights(con, ("ONE", "AAAA", "SSSS"), [d(60)])  # the hub's day 60 collapses
    [cause] = [c for c in causes(con, d(80)) if c[1] == "airport"]
    assert cause[2:] == ("AAAA", 1)
    assert d(60) - d(59) == timedelta(days=1)
