"""The route detector (sql/derive/0[2-4]0_*.sql) on flight histories with known answers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import derived_rows

from pipeline import store

pytestmark = pytest.mark.slow  # see `make test-fast`

START = date(2025, 1, 6)  # a Monday
HUB_ROUTES = [("HUB", "AAAA", f"Z{n:03d}") for n in range(12)]  # background traffic at AAAA


@pytest.fixture
def con(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as connection:
        yield connection


def add_flights(con, route, days, per_day=1, status="observed"):
    carrier, origin, dest = route
    rows = [(f"{carrier}{origin}{dest}{day}{n}{status}", day, carrier, origin, dest, status)
            for day in days for n in range(per_day)]
    con.executemany(
        "INSERT INTO flights (flight_id, source, source_partition, flight_date, carrier_icao, "
        "origin_icao, dest_icao, status, run_id, loaded_at) "
        "VALUES (?, 'test', 'p', ?, ?, ?, ?, ?, 't', now())", rows)


def add_airports(con, countries: dict[str, str]) -> None:
    con.executemany("INSERT INTO airports (airport_icao, name, country, lat, lon, "
                    "source_partition, run_id, loaded_at) VALUES (?, ?, ?, 0, 0, 'p', 't', now())",
                    [(code, code, country) for code, country in countries.items()])


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


def events_as_stored(con, carrier: str = "%") -> list[tuple]:
    return con.execute("SELECT event_type, event_date, last_flight_date, detected_on "
                       "FROM route_events WHERE carrier_icao <> 'HUB' AND carrier_icao LIKE ? "
                       "ORDER BY event_date, event_type", [carrier]).fetchall()


def last_flights(con, carrier: str = "%") -> list[tuple]:
    return con.execute("SELECT * FROM fdp_state.route_last_flights WHERE carrier_icao LIKE ? "
                       "ORDER BY ALL", [carrier]).fetchall()


def d(n: int) -> date:
    return START + timedelta(days=n)


DAILY = ("DLY", "AAAA", "BBBB")
WEEKLY = ("WKL", "AAAA", "CCCC")


def test_daily_route_that_stops_is_suspended_within_days(con):
    background(con)
    add_flights(con, DAILY, days(0, 59))
    # each silent day's chance if it still flew: 0.5 / 9 (it flew on every such day); four
    # silent days (P ~ 1e-5) are needed, and enough
    assert events(con, DAILY) == [("suspended", d(60), d(59), d(63))]


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
    # the third missed Wednesday: P = (0.5/9)^3 x (8.5/9)^18 ~ 6e-5 <= 1e-4, and longer than
    # the 6 days it always came back from
    assert detected == d(51 + 21)


def test_a_day_without_any_data_is_no_evidence(con):
    background(con, skip=(61, 62, 63))  # nothing at all loaded on those days
    add_flights(con, DAILY, days(0, 59))
    assert events(con, DAILY) == [("suspended", d(60), d(59), d(66))]  # evidence: 60, 64-66


def test_an_airport_whose_whole_traffic_vanished_is_a_hole_not_a_suspension(con):
    background(con, last=64)  # AAAA goes dark from day 65 (coverage gap or closure)
    add_flights(con, ("OTH", "QQQQ", "RRRR"), days(0, 90))  # data keeps coming elsewhere
    add_flights(con, DAILY, days(0, 64))
    assert events(con, DAILY) == []


def test_a_route_that_comes_back_is_resumed(con):
    background(con)
    add_flights(con, DAILY, days(0, 39) + days(50, 90))
    assert events(con, DAILY) == [("suspended", d(40), d(39), d(43)),
                                  ("resumed", d(50), d(39), d(50))]


def test_scheduled_but_cancelled_flights_mean_the_route_stands(con):
    """A storm: five days of cancelled flights, then the route flies again. Cancelled days are
    no evidence of a stop, however many."""
    background(con)
    add_flights(con, DAILY, [x for x in days(0, 90) if not 40 <= (x - START).days <= 44])
    add_flights(con, DAILY, days(40, 44), status="cancelled")
    assert events(con, DAILY) == []


def test_a_silence_the_route_came_back_from_before_is_not_news(con):
    """It paused 5 days in week 3 (flagged then: with 3 weeks of history, on the fifth day)
    and came back: now 5 silent days are not enough, 6 are."""
    background(con)
    add_flights(con, DAILY, [x for x in days(0, 59) if not 20 <= (x - START).days <= 24])
    assert events(con, DAILY) == [("suspended", d(20), d(19), d(24)),
                                  ("resumed", d(25), d(19), d(25)),
                                  ("suspended", d(60), d(59), d(65))]


def test_an_act_naming_the_carrier_makes_its_silence_decisive_at_once(con):
    """Announced two days after the last flight: the suspension is detected that day, and
    says what it rests on."""
    background(con)
    add_airports(con, {"AAAA": "VE", "BBBB": "ES"})
    add_flights(con, DAILY, days(0, 59))
    con.execute("INSERT INTO permit_actions (action_id, authority, action, carrier_icao, "
                "jurisdiction_country, effective_date, announced_date, source_url, "
                "source_partition, run_id, loaded_at) VALUES ('rev', 'INAC', 'revoked', 'DLY', "
                "'VE', ?, ?, 'https://example.org', 'registry', 't', now())", [d(63), d(61)])
    assert events(con, DAILY) == [("suspended", d(60), d(59), d(61))]
    assert con.execute("SELECT evidence FROM route_events WHERE carrier_icao = 'DLY'"
                       ).fetchall() == [("carrier act",)]


def test_an_act_added_later_judges_the_routes_again_as_a_rebuild_would(con):
    background(con)
    add_airports(con, {"AAAA": "VE", "BBBB": "ES"})
    add_flights(con, DAILY, days(0, 59))
    store.rebuild_derived(con)
    assert con.execute("SELECT detected_on FROM route_events WHERE carrier_icao = 'DLY'"
                       ).fetchall() == [(d(63),)]
    con.execute("INSERT INTO permit_actions (action_id, authority, action, carrier_icao, "
                "jurisdiction_country, effective_date, source_url, source_partition, run_id, "
                "loaded_at) VALUES ('vol', 'AIRLINE', 'voluntary_suspension', 'DLY', 'VE', ?, "
                "'https://example.org', 'registry', 't', now())", [d(61)])
    con.begin()  # as sql/load/permit_actions marks a changed act
    con.execute("CREATE OR REPLACE TEMP TABLE touched_dates (d DATE)")
    con.execute("CREATE OR REPLACE TEMP TABLE acts_changed_from AS SELECT ?::DATE AS d",
                [d(61 - 7)])
    store.derive(con)
    con.commit()
    assert con.execute("SELECT detected_on FROM route_events WHERE carrier_icao = 'DLY' "
                       "AND event_type = 'suspended'").fetchall() == [(d(61),)]


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
    add_flights(con, ("NEW", "AAAA", "CCCC"), days(60, 90, weekdays=[1, 4]))
    rebuilt = events(con)
    traffic = "SELECT * FROM airport_traffic_daily ORDER BY ALL"
    rebuilt_traffic = con.execute(traffic).fetchall()
    rebuilt_state = last_flights(con)
    con.execute("DELETE FROM route_events; DELETE FROM route_daily; "
                "DELETE FROM airport_traffic_daily; DELETE FROM fdp_state.route_last_flights")
    for n in range(0, 91):  # as the nightly loads do: one touched day at a time
        con.begin()
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS SELECT ?::DATE AS d", [d(n)])
        store.derive(con)
        con.commit()
    nightly = con.execute("SELECT event_type, event_date, last_flight_date, detected_on "
                          "FROM route_events WHERE carrier_icao <> 'HUB' "
                          "ORDER BY event_date, event_type").fetchall()
    assert nightly == rebuilt and len(rebuilt) == 4
    # each night's traffic baselines come from the counts earlier nights stored
    assert con.execute(traffic).fetchall() == rebuilt_traffic
    assert last_flights(con) == rebuilt_state
    assert ("started", d(63), None, d(66)) in rebuilt


def test_a_rewrite_that_takes_away_a_routes_kept_flight_days_judges_as_a_rebuild(con):
    """Each route's last flight days are kept night to night (sql/derive/035): a night that
    rewrites days a route's kept list holds must judge the route as a rebuild of the same
    flights does, though the list then lacks days it held (here first some, then all)."""
    background(con)
    add_flights(con, DAILY, days(0, 59))
    add_flights(con, WEEKLY, days(0, 55, weekdays=[3]))
    store.rebuild_derived(con)
    assert last_flights(con, "DLY") == [
        ("DLY", "AAAA", "BBBB", [d(n) for n in range(59, 51, -1)], False)]

    def restate(first_silent: int) -> list[tuple]:
        """A late restatement: the daily route had no flight from first_silent to day 59. Day
        30, restated too, brings back a flight day older than those the list keeps."""
        con.execute("DELETE FROM flights WHERE carrier_icao = 'DLY' AND flight_date >= ?",
                    [d(first_silent)])
        con.begin()
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS "
                    "SELECT unnest(?::DATE[]) AS d", [[d(30), *days(first_silent, 59)]])
        store.derive(con)
        con.commit()
        return events_as_stored(con, "DLY")

    # days 52 to 54 stay kept; the list is sure of them only, and the route's last two before
    # the touched days are there
    assert restate(55) == [("suspended", d(55), d(54), d(58))]
    assert last_flights(con, "DLY") == [
        ("DLY", "AAAA", "BBBB", [d(54), d(53), d(52)], False)]
    # none of the kept days stays: the route is looked up again in route_daily
    nightly = restate(48)
    nightly_state = last_flights(con)
    assert nightly == [("suspended", d(48), d(47), d(51))]
    store.rebuild_derived(con)
    assert events_as_stored(con, "DLY") == nightly
    assert last_flights(con) == nightly_state


def test_a_route_silent_for_weeks_before_a_rewritten_day_is_looked_up_a_year_back(con):
    """A night that rewrites an old day, on a route whose kept flight days all come after it
    and that did not fly in the four weeks before it: its last two flight days before that day
    are found further back in route_daily (sql/derive/040), so it judges as a rebuild: the
    flight after its silence resumes an old route, it does not start a new one."""
    background(con)
    rare = ("RAR", "AAAA", "DDDD")
    add_flights(con, rare, [d(0), d(5), *days(40, 59)])
    store.rebuild_derived(con)
    rebuilt = events_as_stored(con, "RAR")
    assert rebuilt == [("suspended", d(60), d(59), d(78))]  # it stops after day 59
    assert last_flights(con, "RAR") == [
        ("RAR", "AAAA", "DDDD", [d(n) for n in range(59, 51, -1)], False)]
    con.begin()
    con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS SELECT ?::DATE AS d", [d(38)])
    store.derive(con)
    con.commit()
    assert events_as_stored(con, "RAR") == rebuilt


def test_a_database_migrated_to_kept_last_flights_judges_its_next_night_as_before(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as con:
        background(con)
        add_flights(con, DAILY, days(0, 59))
        store.rebuild_derived(con)
        kept = last_flights(con)
        # as the database was before migration 023
        con.execute("DROP SCHEMA fdp_state CASCADE; ALTER TABLE route_daily DROP COLUMN "
                    "route_key; DELETE FROM schema_migrations WHERE version >= 23")
    with store.connect(tmp_path / "fdp.duckdb") as con:
        assert last_flights(con) == kept and len(kept) == len(HUB_ROUTES) + 1


def test_each_route_gets_a_number_of_its_own_and_keeps_it(con):
    """route_daily.route_key (migration 025), which the derive joins routes' days by: one
    number per route, given the first night it flies, the same after a rebuild."""
    background(con, last=20)
    add_flights(con, DAILY, days(0, 20))
    add_flights(con, WEEKLY, days(5, 20, weekdays=[3]))
    for n in range(21):
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS SELECT ?::DATE AS d", [d(n)])
        store.derive(con)
    numbers = """SELECT route_key, carrier_icao, origin_icao, dest_icao
                 FROM route_daily GROUP BY ALL ORDER BY ALL"""
    nightly = con.execute(numbers).fetchall()
    assert [row[0] for row in nightly] == list(range(1, len(HUB_ROUTES) + 3))
    assert nightly[-1][1:] == WEEKLY  # first flown on day 9, after the others
    store.rebuild_derived(con)
    assert con.execute(numbers).fetchall() == nightly


def test_a_rebuild_in_chunks_gives_what_one_pass_gives(con):
    """A rebuild derives the history a few weeks at a time (bounded memory on a year): every
    derived table must come out as from one pass over all days."""
    background(con, skip=(70,))
    add_flights(con, DAILY, days(0, 39) + days(50, 90))
    add_flights(con, WEEKLY, days(0, 55, weekdays=[3]))
    add_flights(con, ("NEW", "AAAA", "CCCC"), days(60, 90, weekdays=[1, 4]))

    store.rebuild_derived(con, chunk_days=1000)
    one_pass = derived_rows(con)
    con.execute("INSERT INTO route_events (carrier_icao, origin_icao, dest_icao, event_type, "
                "event_date, detected_on, confidence) "
                "VALUES ('OLD', 'AAAA', 'DDDD', 'started', ?, ?, 1)",
                [d(10), d(12)])  # a stale row: a rebuild replaces what the tables held
    store.rebuild_derived(con, chunk_days=5)
    assert derived_rows(con) == one_pass
    assert len(one_pass["route_events"]) == 4 and len(one_pass["airport_traffic_daily"]) > 90


def test_a_load_that_touched_no_day_leaves_the_derived_tables_as_they_were(con):
    """A rerun of a loaded night touches no day: derive skips the by-day steps (which would
    scan the history to find nothing to do) and must leave what they wrote."""
    background(con)
    add_flights(con, DAILY, days(0, 39))
    add_flights(con, WEEKLY, days(0, 55, weekdays=[3]))
    store.rebuild_derived(con)

    before = derived_rows(con)
    con.begin()
    con.execute("CREATE OR REPLACE TEMP TABLE touched_dates (d DATE)")
    store.derive(con)
    con.commit()
    assert derived_rows(con) == before and len(before["route_events"]) == 2


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
