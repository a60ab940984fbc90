"""Detours (sql/derive/060_route_detours.sql): lasting jumps in a route's flight time, where the
route flies over (route_crossings) and what was in force there. Flight times are SYNTHETIC
(a seeded random day-to-day spread), on real airport positions (airportsdata) and real country
boundaries (the bundled Natural Earth)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import add_airports, derived_rows

from pipeline import report, store
from pipeline.alerts import night
from pipeline.config import Settings
from pipeline.raw import RawZone
from pipeline.reference.boundaries import countries_crossed
from pipeline.watchlist import load_watchlist

pytestmark = pytest.mark.slow  # see `make test-fast`

START = date(2025, 9, 1)
DETOUR = 60  # the day Miami - Sao Paulo starts to go round Venezuela
# Miami and Sao Paulo (the great circle crosses Venezuela), Madrid and Lisbon (it does not)
AIRPORTS = ("KMIA", "SBGR", "LEMD", "LPPT", "SVMI")


@pytest.fixture
def con(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as connection:
        add_airports(connection, AIRPORTS)
        yield connection


def fly(con, origin: str, dest: str, minutes: list[float], carrier: str = "AAL") -> None:
    """A flight a day from START, taking minutes[n] on day n."""
    rows = []
    for n, length in enumerate(minutes):
        departs = datetime.combine(START + timedelta(days=n), datetime.min.time(), UTC)
        departs += timedelta(hours=14)
        rows.append((f"{carrier}{origin}{dest}{n}", START + timedelta(days=n), carrier, origin,
                     dest, departs, departs + timedelta(minutes=length)))
    con.executemany(
        "INSERT INTO flights (flight_id, source, source_partition, flight_date, carrier_icao, "
        "origin_icao, dest_icao, dep_time_utc, arr_time_utc, status, run_id, loaded_at) "
        "VALUES (?, 'test', 'p', ?, ?, ?, ?, ?, ?, 'observed', 't', now())", rows)


def usual(days: int = 100, base: float = 500.0, seed: int = 1) -> list[float]:
    """A long route's daily times: winds move them by a few minutes a day."""
    draw = random.Random(seed)
    return [base + draw.gauss(0, 4) for _ in range(days)]


def detours(con) -> list[tuple]:
    store.rebuild_derived(con)
    return con.execute("SELECT origin_icao, dest_icao, started_on, detected_on, ended_on, "
                       "minutes_added, confidence FROM route_detours ORDER BY ALL").fetchall()


def day(n: int) -> date:
    return START + timedelta(days=n)


def test_a_lasting_jump_in_flight_time_is_a_detour_with_its_day_and_minutes(con):
    times = usual()
    fly(con, "KMIA", "SBGR", [t + (45 if n >= DETOUR else 0) for n, t in enumerate(times)])
    [(origin, dest, started, detected, ended, added, confidence)] = detours(con)
    assert (origin, dest, started, detected, ended) == ("KMIA", "SBGR", day(DETOUR),
                                                        day(DETOUR + 4), None)
    assert 40 < added < 50 and confidence > 0.999


def test_a_detour_ends_when_the_times_come_back(con):
    times = usual()
    fly(con, "KMIA", "SBGR", [t + (45 if DETOUR <= n < DETOUR + 20 else 0)
                              for n, t in enumerate(times)])
    [(_, _, started, _, ended, _, _)] = detours(con)
    assert (started, ended) == (day(DETOUR), day(DETOUR + 20))


@pytest.mark.parametrize("storm_days", [1, 3, 4])
def test_a_few_windy_days_are_no_detour(con, storm_days):
    times = usual()
    fly(con, "KMIA", "SBGR", [t + (40 if DETOUR <= n < DETOUR + storm_days else 0)
                              for n, t in enumerate(times)])
    assert detours(con) == []


def test_a_route_whose_times_always_swing_widely_needs_a_bigger_jump(con):
    draw = random.Random(7)
    swinging = [500 + draw.gauss(0, 15) for _ in range(100)]  # 15 minutes a day, not 4
    fly(con, "KMIA", "SBGR", [t + (25 if n >= DETOUR else 0) for n, t in enumerate(swinging)])
    assert detours(con) == []  # 25 minutes is within its usual swing (3 spreads: ~45)


def test_routes_cross_the_countries_under_their_great_circle(con):
    fly(con, "KMIA", "SBGR", usual(10))
    fly(con, "LEMD", "LPPT", usual(10, base=70))
    store.rebuild_derived(con)
    crossed = con.execute("SELECT origin_icao, country FROM route_crossings "
                          "ORDER BY origin_icao, entry_km, country").fetchall()
    assert crossed == [("KMIA", "US"), ("KMIA", "CU"), ("KMIA", "VE"), ("KMIA", "BR"),
                       ("LEMD", "ES"), ("LEMD", "PT")]


def test_countries_crossed_across_the_antimeridian():
    # Nadi (Fiji, 177E) to Pago Pago (American Samoa, 171W) crosses 180 degrees
    [crossings] = countries_crossed([(-17.755, 177.443, -14.332, -170.712)])
    assert [c.country for c in crossings] == ["FJ", "AS"]
    assert 1300 < crossings[1].entry_km < 1340  # Pago Pago is 1,341 km from Nadi


def test_a_notice_over_a_crossed_country_is_the_detours_cause_once_known(con):
    times = usual()
    fly(con, "KMIA", "SBGR", [t + (45 if n >= DETOUR else 0) for n, t in enumerate(times)])
    issued = datetime.combine(day(DETOUR - 2), datetime.min.time(), UTC)
    con.execute(
        "INSERT INTO airspace_notices (notice_id, notice_key, fir, category, notam_type, "
        "effective_start, issued, source, source_partition, first_seen_partition, run_id, "
        "loaded_at) VALUES ('KICZ A0012/25', 'KICZ A0012/25', 'SVZM', 'advisory', 'N', ?, ?, "
        "'test', 'p', ?, 't', now())", [issued, issued, f"{day(DETOUR - 2)}/faa"])
    store.rebuild_derived(con)
    causes = con.execute("SELECT cause_type, country, description "
                         "FROM route_detour_causes_known(?)", [day(DETOUR + 4)]).fetchall()
    assert causes[0][:2] == ("airspace_notice", "VE")
    assert "KICZ A0012/25" in causes[0][2] and "km over VE" in causes[0][2]
    before = con.execute("SELECT cause_type FROM route_detour_causes_known(?)",
                         [day(DETOUR + 3)]).fetchall()
    assert before == []  # not yet detected


def test_exposure_counts_the_flights_over_a_country_and_those_on_a_detour(con):
    times = usual()
    fly(con, "KMIA", "SBGR", [t + (45 if n >= DETOUR else 0) for n, t in enumerate(times)])
    fly(con, "KMIA", "SVMI", usual(100, base=180), carrier="AAL")
    store.rebuild_derived(con)
    rows = con.execute("SELECT flight_date, flights, flights_detoured, overflights, "
                       "overflights_detoured FROM airspace_exposure WHERE country = 'VE' "
                       "AND flight_date IN (?, ?) ORDER BY 1", [day(DETOUR - 1), day(DETOUR)]
                       ).fetchall()
    assert rows == [(day(DETOUR - 1), 2, 0, 1, 0), (day(DETOUR), 2, 1, 1, 1)]


def test_night_by_night_equals_one_rebuild(con):
    times = usual()
    fly(con, "KMIA", "SBGR", [t + (45 if DETOUR <= n < DETOUR + 20 else 0)
                              for n, t in enumerate(times)])
    fly(con, "LEMD", "LPPT", [t + (30 if n >= 40 else 0) for n, t in enumerate(usual(100, 70))])
    rebuilt = detours(con)
    assert len(rebuilt) == 2
    route_days = "SELECT * FROM route_daily ORDER BY ALL"
    rebuilt_days = con.execute(route_days).fetchall()
    con.execute("DELETE FROM route_detours; DELETE FROM route_daily")
    late = "FROM flights WHERE origin_icao = 'LEMD'"
    con.execute(f"CREATE TEMP TABLE late AS SELECT * {late}; DELETE {late}")
    for n in range(101):  # the nights in order, each reloading the day before, as OpenSky's do
        # Madrid - Lisbon's flights come a night late: the reloaded day gains a route-day
        con.execute("INSERT INTO flights SELECT * FROM late WHERE flight_date = ?",
                    [day(n - 1)])
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS "
                    "SELECT unnest(?::DATE[]) AS d", [[day(max(n - 1, 0)), day(n)]])
        store.derive(con)
    nightly = con.execute("SELECT origin_icao, dest_icao, started_on, detected_on, ended_on, "
                          "minutes_added, confidence FROM route_detours ORDER BY ALL").fetchall()
    assert nightly == rebuilt
    # the baselines a reloaded day carried over are those a rebuild computes
    assert con.execute(route_days).fetchall() == rebuilt_days
    # a late correction of old days: the 28 days after each get their baselines anew, on the
    # route whose times changed only (Madrid - Lisbon's days are reloaded as they were)
    corrected = [day(30), day(31), day(32)]
    con.execute("UPDATE flights SET arr_time_utc = arr_time_utc + INTERVAL 40 MINUTE "
                "WHERE origin_icao = 'KMIA' AND flight_date IN ?", [corrected])
    con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS SELECT unnest(?::DATE[]) AS d",
                [corrected])
    store.derive(con)
    assert con.execute("SELECT k.origin_icao, min(b.flight_date), max(b.flight_date) "
                       "FROM refreshed_baselines b JOIN fdp_state.route_keys k USING (route_key) "
                       "GROUP BY ALL").fetchall() == [("KMIA", day(31), day(60))]
    nightly_days = con.execute(route_days).fetchall()
    store.rebuild_derived(con)
    assert nightly_days == con.execute(route_days).fetchall() != rebuilt_days


def test_a_load_of_months_derives_them_a_few_weeks_at_a_time_as_one_pass_would(con, caplog):
    """A load that touches many days (a year of flight lists imported at once) derives them
    in chunks of days, oldest first: one pass would hold every route-day's 28-day window in
    memory at once (060's quartiles cannot spill), and ran out of a 1 GB memory_limit on a
    year. The chunks must leave every derived table as one pass, and as a rebuild."""
    fly(con, "KMIA", "SBGR", [t + (45 if n >= DETOUR else 0) for n, t in enumerate(usual())])
    fly(con, "LEMD", "LPPT", [t + (30 if n >= 40 else 0) for n, t in enumerate(usual(100, 70))])
    later = f"FROM flights WHERE flight_date >= DATE '{day(30)}'"
    con.execute(f"CREATE TEMP TABLE later AS SELECT * {later}; DELETE {later}")
    store.rebuild_derived(con)  # the first 30 days, loaded before
    con.execute("INSERT INTO flights SELECT * FROM later")
    loaded = [day(n) for n in range(30, 100)]

    def load_derived(chunk_days: int) -> dict[str, list[tuple]]:
        con.begin()
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS "
                    "SELECT unnest(?::DATE[]) AS d", [loaded])
        store.derive_touched_days(con, chunk_days)
        rows = derived_rows(con)
        con.rollback()
        return rows

    caplog.set_level("INFO", logger="pipeline.store.derive")
    in_chunks = load_derived(7)
    assert f"deriving days {day(93)} to {day(99)} (10 of 10)" in caplog.text
    assert in_chunks == load_derived(len(loaded))
    assert len(in_chunks["route_detours"]) == 2
    store.rebuild_derived(con)
    assert derived_rows(con) == in_chunks


def nights(con, last: int) -> None:
    """Derive day 0 to day `last` night by night, each night reloading the day before, from
    empty derived tables and state."""
    con.execute("DELETE FROM route_detours; DELETE FROM route_daily; "
                "DELETE FROM fdp_state.lasting_onsets")
    for n in range(last + 1):
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS "
                    "SELECT unnest(?::DATE[]) AS d", [[day(max(n - 1, 0)), day(n)]])
        store.derive(con)


def test_a_jump_seen_again_within_four_weeks_is_the_same_detour_night_by_night(con):
    """Five days of longer times, one usual day, then longer again: the second onset is lasting
    too, but within 28 days of the first, so one detour, also on the nights that judge the
    second onset weeks after the first one's days (they read it from the kept onsets)."""
    times = usual()
    fly(con, "KMIA", "SBGR", [t + (45 if n >= DETOUR and n != DETOUR + 5 else 0)
                              for n, t in enumerate(times)])
    rebuilt = detours(con)
    assert [(started, detected) for _, _, started, detected, *_ in rebuilt] == [
        (day(DETOUR), day(DETOUR + 4))]
    assert con.execute("SELECT started_on FROM fdp_state.lasting_onsets ORDER BY 1"
                       ).fetchall() == [(day(DETOUR),), (day(DETOUR + 6),)]
    nights(con, 99)
    assert con.execute("SELECT origin_icao, dest_icao, started_on, detected_on, ended_on, "
                       "minutes_added, confidence FROM route_detours ORDER BY ALL"
                       ).fetchall() == rebuilt


def test_a_detour_is_alerted_in_the_week_after_its_detection_for_a_crossed_country(con):
    times = usual()
    fly(con, "KMIA", "SBGR", [t + (45 if n >= DETOUR else 0) for n, t in enumerate(times)])
    detours(con)
    detected = day(DETOUR + 4)

    def detour_alerts(on: date, countries: tuple[str, ...]) -> list[night.Alert]:
        return [a for a in night.night_alerts(con, on, countries) if a.kind == "route_detoured"]

    [alert] = detour_alerts(detected, ("VE",))  # crossed, neither end in it
    assert alert.key == f"route_detoured|AAL|KMIA|SBGR|{day(DETOUR)}"
    assert alert.subject.startswith("Route detoured: AAL KMIA-SBGR, 4")
    assert "Its great circle crosses US, CU, VE, BR." in alert.text
    assert night.headline([alert], detected) == (
        "Flight disruption alerts of 4 Nov 2025 (UTC): 1 detour")
    assert detour_alerts(detected - timedelta(days=1), ("VE",)) == []  # not detected yet
    assert detour_alerts(detected + timedelta(days=8), ("VE",)) == []  # alerted before
    assert detour_alerts(detected, ("FR",)) == []  # not watched


def test_the_report_shows_a_detour_once_detected_with_the_weeks_exposure(con, tmp_path):
    times = usual()
    fly(con, "KMIA", "SBGR", [t + (45 if n >= DETOUR else 0) for n, t in enumerate(times)])
    detours(con)
    settings = Settings.from_env({"FDP_HOME": str(tmp_path)})
    store.publish(con, settings)

    def shown(on: date) -> tuple[list[tuple], list[tuple]]:
        scope = report.Scope(on, load_watchlist(None))  # the default watchlist: VE among
        with store.connect_published(settings) as published:
            built = report.build(published, scope, RawZone(settings.raw_dir), tmp_path)
        [section] = [s for s in built.sections if s.anchor == "detours"]
        detoured, exposure = section.tables
        assert [p.file for p in section.plots] == (["detours.png"] if detoured.rows else [])
        return detoured.rows, exposure.rows

    [row], exposure = shown(day(DETOUR + 4))
    assert row[:3] == (str(day(DETOUR)), "AAL", "KMIA → SBGR")
    assert row[5:9] == ("5 of 5", str(day(DETOUR + 4)), "", "US, CU, VE, BR")
    assert row[9] == "no airspace act or notice in force over a country the route crosses"
    assert ("VE", "7", "5", "7", "5") in exposure  # a flight a day, detoured from day 60
    assert shown(day(DETOUR + 3))[0] == []  # not detected yet


def test_an_airport_the_coastline_leaves_at_sea_still_counts_for_its_country(con):
    add_airports(con, ("NZAA", "NFFN"))
    fly(con, "NZAA", "NFFN", usual(3, base=180), carrier="ANZ")
    store.rebuild_derived(con)
    crossed = con.execute("SELECT country, entry_km, km_over FROM route_crossings "
                          "ORDER BY entry_km").fetchall()
    assert crossed[0] == ("NZ", 0.0, 0.0)  # Auckland's point is just off the 1:50m coast
    assert [c[0] for c in crossed] == ["NZ", "FJ"]


def test_a_route_between_two_atolls_the_map_leaves_out_counts_its_country_once(con):
    add_airports(con, ("NTGW", "NTKF"))  # two Tuamotu atolls, too small for 1:50m boundaries
    fly(con, "NTGW", "NTKF", usual(3, base=90), carrier="VTA")
    store.rebuild_derived(con)
    assert con.execute("SELECT country, entry_km FROM route_crossings").fetchall() == [
        ("PF", 0.0)]
