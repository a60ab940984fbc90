"""`fdp demo` (the README's first command) through Airflow: the story it must show, and every
replayed response saying whether it is synthetic. (That a second demo changes no table is
checked once, by CI's .ci/run, which runs the demo twice anyway.)"""

from __future__ import annotations

import json
import statistics
from datetime import date, timedelta

import duckdb
import pytest
from conftest import DEMO_NIGHTS, table_checksum

from pipeline.config import Settings
from pipeline.demo.synthetic import load_scenario
from pipeline.reference.airlines import known_airline_icao

REVOKED_BY_INAC = ["ARE", "AVA", "GLO", "IBE", "TAP", "THY"]
TABLES = ("flights", "permit_actions", "carrier_status", "airspace_notices",
          "regulatory_documents", "airports")


@pytest.fixture(scope="module")
def demo(demo_home):
    """The settings of the session's demo nights (conftest.demo_home)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FDP_HOME", str(demo_home))
        yield (Settings.from_env(),)


def rows(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def test_readers_get_the_last_night_published_whole(demo):
    [settings] = demo
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        written = {t: table_checksum(con, t) for t in TABLES}
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        assert {t: table_checksum(con, t) for t in TABLES} == written


def test_each_source_loaded_every_partition_of_every_night(demo):
    [settings] = demo
    loaded = dict(rows(settings, "SELECT source, count(DISTINCT \"partition\") FROM load_log "
                                 "WHERE status = 'loaded' GROUP BY 1"))
    # 21 nights x (7 airports, 6 FIRs, 1 Federal Register query); snapshots once
    assert loaded == {"opensky": 147, "faa_notam": 126, "federal_register": 21, "airports": 1,
                      "airlines": 1, "countries": 1, "permit_registry": 1}


def test_manifests_say_what_is_synthetic(demo):
    [settings] = demo
    by_source: dict[str, set[bool]] = {}
    for path in settings.raw_dir.rglob("manifest.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            by_source.setdefault(record["source"], set()).add(record["synthetic"])
    assert by_source == {"opensky": {True}, "faa_notam": {True}, "federal_register": {True},
                         "airports": {False}, "airlines": {False}, "countries": {False},
                         "permit_registry": {False}}


def test_inac_revocations_show_as_suspended_carriers(demo):
    [settings] = demo
    found = rows(settings, "SELECT carrier_icao, since, authority, source_url IS NOT NULL "
                           "FROM restricted_carriers_asof(DATE '2025-11-30') "
                           "WHERE jurisdiction_country = 'VE' "
                           "AND authority = 'INAC' AND status = 'revoked' ORDER BY 1")
    assert found == [(c, date(2025, 11, 26), "INAC", True) for c in REVOKED_BY_INAC]
    before = rows(settings, "SELECT carrier_icao FROM carrier_status_asof(DATE '2025-11-25') "
                            "WHERE authority = 'INAC' AND status <> 'authorized' "
                            f"AND carrier_icao IN {tuple(REVOKED_BY_INAC)}")
    assert before == []


def test_flight_evidence_gives_each_carriers_last_day_in_venezuela(demo):
    [settings] = demo
    assert rows(settings, "SELECT last_flight_date FROM restricted_carriers_asof(DATE "
                          "'2025-11-30') WHERE carrier_icao = 'IBE' "
                          "AND jurisdiction_country = 'VE'") == [
        (date(2025, 11, 22),)]


def test_the_faa_advisory_is_in_force_from_21_november(demo):
    [settings] = demo
    asof = "SELECT notice_id, location, category FROM airspace_notices_asof(DATE '{}')"
    assert rows(settings, asof.format("2025-11-25")) == [("KICZ A0012/25", "SVZM", "advisory")]
    assert rows(settings, asof.format("2025-11-20")) == []


def test_stopped_routes_are_suspended_a_day_after_their_last_flight(demo):
    [settings] = demo
    suspended = rows(settings, "SELECT DISTINCT carrier_icao FROM route_events "
                               "WHERE event_type = 'suspended' "
                               "AND event_date - last_flight_date = 1 "
                               "AND (origin_icao = 'SVMI' OR dest_icao = 'SVMI') ORDER BY 1")
    stopped = ["AEA", "ARE", "AVA", "GLO", "IBE", "LER", "TAP", "THY"]  # PUE: no designator
    assert [c for (c,) in suspended] == stopped
    # nobody that kept flying (through 30 Nov) has any suspension
    kept = rows(settings, "SELECT count(*) FROM route_events WHERE event_type = 'suspended' "
                          "AND carrier_icao IN ('VCV', 'ROI', 'CMP', 'RPB')")
    assert kept == [(0,)]
    assert rows(settings, "SELECT count(*) FROM route_events WHERE carrier_icao = 'LER' "
                          "AND 'SVMG' IN (origin_icao, dest_icao)") == [(0,)]  # domestic goes on


def test_every_stopped_route_is_detected_within_days_and_no_other(demo):
    """Issue #12's bar on the demo: every route of the scenario that stopped (with at least 4
    days of the demo's nights after its last scheduled flight) is detected, half of them within
    2 days of the last flight and none later than 4; no route that kept flying gets one."""
    [settings] = demo
    scenario = load_scenario()
    last_night = DEMO_NIGHTS[1]
    airlines = known_airline_icao()  # PUE's callsigns name no known airline: no route
    stopped = {(r.carrier, r.origin, r.dest) for r in scenario.routes
               if r.carrier in airlines and r.origin and r.last_flight
               and r.last_flight <= last_night - timedelta(days=4)}
    found = {(c, o, d): (detected - last).days for c, o, d, last, detected in rows(
        settings, "SELECT carrier_icao, origin_icao, dest_icao, last_flight_date, detected_on "
                  "FROM route_events WHERE event_type = 'suspended'")}
    assert stopped <= set(found), f"missed: {sorted(stopped - set(found))}"
    latencies = sorted(found[route] for route in stopped)
    assert statistics.median(latencies) <= 2 and max(latencies) <= 4, latencies
    stops_of_the_scenario = {(r.carrier, r.origin, r.dest) for r in scenario.routes
                             if r.last_flight}
    assert set(found) <= stops_of_the_scenario, "false alerts"


def test_the_scenarios_detours_are_found_with_their_cause(demo):
    """Issue #14's bar on the demo: each route the scenario sends round Venezuela is found
    detoured from its day (or its next flight: a flight can be missed, or fly a detour a few
    minutes shorter than the bar), by about its minutes (its flights' own spread is about 4
    minutes), with the FAA's advisory over Venezuela as its first cause; no other route is."""
    [settings] = demo
    detoured = {(r.carrier, r.origin, r.dest): (r.detour_from, r.detour_minutes)
                for r in load_scenario().routes if r.detour_from}
    found = {(c, o, d): (started, added) for c, o, d, started, added in rows(
        settings, "SELECT carrier_icao, origin_icao, dest_icao, started_on, minutes_added "
                  "FROM route_detours")}
    assert set(found) == set(detoured)
    for (carrier, origin, dest), (started, added) in found.items():
        day, minutes = detoured[carrier, origin, dest]
        assert day <= started <= day + timedelta(days=2), (origin, dest, started)
        assert abs(added - minutes) <= 6, (origin, dest, added)
    causes = rows(settings, "SELECT DISTINCT cause_id FROM route_detour_causes_known(?) "
                            "WHERE cause_rank = 1", [DEMO_NIGHTS[1]])
    assert causes == [("faa-2025-11-21-svzm-a0012-advisory",)]


def test_the_service_moved_to_curacao_is_a_shift(demo):
    [settings] = demo
    shifts = rows(settings, "SELECT DISTINCT carrier_icao, left_airport_icao, new_airport_icao, "
                            "new_origin_icao, new_dest_icao FROM service_shifts ORDER BY ALL")
    assert shifts == [("AVA", "SVMI", "TNCC", "SKBO", "TNCC"),
                      ("AVA", "SVMI", "TNCC", "TNCC", "SKBO")]


def test_demo_refuses_nights_outside_the_replay(fdp_env, capsys):
    from pipeline.cli import main

    assert main(["demo", "--start", "2025-10-01", "--end", "2025-10-02"]) == 1
    assert "the replay covers 2025-11-10 to 2025-12-05" in capsys.readouterr().err
