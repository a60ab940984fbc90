"""Service shifts (sql/derive/050_service_shifts.sql): where a carrier's service went when it left
an airport. Flight histories are SYNTHETIC, on real airport positions (airportsdata)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import add_airports

from pipeline import report, store
from pipeline.alerts import night
from pipeline.config import Settings
from pipeline.raw import RawZone
from pipeline.watchlist import load_watchlist

pytestmark = pytest.mark.slow  # see `make test-fast`

START = date(2025, 9, 1)
STOP = 60  # the day the carrier leaves Caracas
# Caracas, and Curaçao 280 km and Bogotá 1,000 km from it; Madrid and Lisbon at the far end
AIRPORTS = ("SVMI", "TNCC", "SKBO", "LEMD", "LPPT")


@pytest.fixture
def con(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as connection:
        add_airports(connection, AIRPORTS)
        yield connection


def fly(con, carrier: str, origin: str, dest: str, first: int, last: int) -> None:
    """A flight a day on the route from day `first` to day `last` (inclusive)."""
    con.executemany(
        "INSERT INTO flights (flight_id, source, source_partition, flight_date, carrier_icao, "
        "origin_icao, dest_icao, status, run_id, loaded_at) "
        "VALUES (?, 'test', 'p', ?, ?, ?, ?, 'observed', 't', now())",
        [(f"{carrier}{origin}{dest}{n}", START + timedelta(days=n), carrier, origin, dest)
         for n in range(first, last + 1)])


def shifts(con) -> list[tuple]:
    fly(con, "BGD", "LPPT", "LEMD", 0, 100)  # other traffic, so that every day has data
    store.rebuild_derived(con)
    return con.execute("SELECT carrier_icao, lost_origin_icao, lost_dest_icao, suspended_on, "
                       "new_origin_icao, new_dest_icao, distance_km, new_weekly_before, "
                       "new_weekly_after FROM service_shifts").fetchall()


def test_service_moved_to_a_near_airport_is_a_shift(con):
    fly(con, "IBE", "SVMI", "LEMD", 0, STOP - 1)
    fly(con, "IBE", "TNCC", "LEMD", STOP + 1, 100)
    [(carrier, lost_from, lost_to, on, new_from, new_to, km, before, after)] = shifts(con)
    assert (carrier, lost_from, lost_to, on) == ("IBE", "SVMI", "LEMD",
                                                 START + timedelta(days=STOP))
    assert (new_from, new_to, before) == ("TNCC", "LEMD", 0)
    assert 250 < km < 300 and after == pytest.approx(6.5)


def test_the_kept_end_may_be_the_origin(con):
    fly(con, "IBE", "LEMD", "SVMI", 0, STOP - 1)
    fly(con, "IBE", "LEMD", "TNCC", STOP, 100)
    assert [s[4:6] for s in shifts(con)] == [("LEMD", "TNCC")]


def test_a_route_dropped_while_the_carrier_stays_at_the_airport_is_no_shift(con):
    fly(con, "IBE", "SVMI", "LEMD", 0, STOP - 1)
    fly(con, "IBE", "SVMI", "LPPT", 0, 100)  # still there: the route alone stopped
    fly(con, "IBE", "TNCC", "LEMD", STOP, 100)
    assert shifts(con) == []


def test_service_moved_too_far_is_no_shift(con):
    fly(con, "IBE", "SVMI", "LEMD", 0, STOP - 1)
    fly(con, "IBE", "SKBO", "LEMD", STOP, 100)
    assert shifts(con) == []


def test_a_near_route_that_did_not_grow_is_no_shift(con):
    fly(con, "IBE", "SVMI", "LEMD", 0, STOP - 1)
    fly(con, "IBE", "TNCC", "LEMD", 0, 100)  # flew daily before and after: nothing moved
    assert shifts(con) == []


def test_a_stop_the_route_came_back_from_within_two_weeks_is_no_shift(con):
    fly(con, "IBE", "SVMI", "LEMD", 0, STOP - 1)
    fly(con, "IBE", "SVMI", "LEMD", STOP + 10, 100)
    fly(con, "IBE", "TNCC", "LEMD", STOP, STOP + 9)
    assert shifts(con) == []


def test_night_by_night_gives_the_shifts_of_one_rebuild(con):
    fly(con, "IBE", "SVMI", "LEMD", 0, STOP - 1)
    fly(con, "IBE", "TNCC", "LEMD", STOP + 1, 100)
    fly(con, "TAP", "SVMI", "LPPT", 0, 100)  # stays: no shift
    rebuilt = shifts(con)
    con.execute("DELETE FROM route_events; DELETE FROM route_daily; "
                "DELETE FROM airport_traffic_daily; DELETE FROM service_shifts")
    for n in range(0, 101):  # as the nightly loads do: one touched day at a time
        con.begin()
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS SELECT ?::DATE AS d",
                    [START + timedelta(days=n)])
        store.derive(con)
        con.commit()
    nightly = con.execute("SELECT carrier_icao, lost_origin_icao, lost_dest_icao, "
                          "suspended_on, new_origin_icao, new_dest_icao, distance_km, "
                          "new_weekly_before, new_weekly_after FROM service_shifts").fetchall()
    assert nightly == rebuilt and len(rebuilt) == 1


def test_a_shift_is_alerted_in_its_week_of_judging_for_a_watched_country(con):
    fly(con, "IBE", "SVMI", "LEMD", 0, STOP - 1)
    fly(con, "IBE", "TNCC", "LEMD", STOP + 1, 100)
    shifts(con)
    suspended_on = START + timedelta(days=STOP)

    def shift_alerts(day: date, countries: tuple[str, ...]) -> list[night.Alert]:
        return [a for a in night.night_alerts(con, day, countries) if a.kind == "service_shifted"]

    [alert] = shift_alerts(suspended_on + timedelta(days=6), ("VE",))
    assert alert.key == f"service_shifted|IBE|SVMI|LEMD|{suspended_on}|TNCC"
    assert alert.subject == "Service shifted: IBE SVMI-LEMD to TNCC-LEMD"
    assert alert.text.startswith("IBE left SVMI: SVMI-LEMD suspended from 31 Oct 2025. "
                                 "TNCC-LEMD (")
    assert "went from 0.0 to 6.5 flights a week" in alert.text
    assert night.headline([alert], suspended_on) == (
        "Flight disruption alerts of 31 Oct 2025 (UTC): 1 service shift")
    assert shift_alerts(suspended_on + timedelta(days=5), ("VE",)) == []  # not judged yet
    assert shift_alerts(suspended_on + timedelta(days=14), ("VE",)) == []  # judged before
    assert shift_alerts(suspended_on + timedelta(days=6), ("BR",)) == []  # not watched


def test_the_report_shows_a_shift_once_its_two_weeks_are_in(con, tmp_path):
    fly(con, "IBE", "SVMI", "LEMD", 0, STOP - 1)
    fly(con, "IBE", "TNCC", "LEMD", STOP + 1, 100)
    shifts(con)
    settings = Settings.from_env({"FDP_HOME": str(tmp_path)})
    store.publish(con, settings)
    suspended_on = START + timedelta(days=STOP)

    def shown(day: date) -> list[tuple]:
        scope = report.Scope(day, load_watchlist(None))
        with store.connect_published(settings) as published:
            built = report.build(published, scope, RawZone(settings.raw_dir), tmp_path)
        [section] = [s for s in built.sections if s.anchor == "shifts"]
        assert [p.file for p in section.plots] == (["shifts.png"] if section.tables[0].rows
                                                     else [])
        return section.tables[0].rows

    [row] = shown(suspended_on + timedelta(days=13))
    assert row == ("2025-10-31", "IBE", "SVMI → LEMD", "TNCC → LEMD", "278 km", "7.0", "0.0",
                   "6.5")
    assert shown(suspended_on + timedelta(days=12)) == []  # its 14 days are not all in yet
