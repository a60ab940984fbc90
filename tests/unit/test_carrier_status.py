"""carrier_status and the as-of macros (sql/views/010_carrier_status.sql, derived by
sql/derive/027_carrier_status.sql) on small, known histories: one test per rule."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline import store


@pytest.fixture
def con(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as connection:
        connection.execute("""
            INSERT INTO airports (airport_icao, name, country, lat, lon, source_partition,
                                  run_id, loaded_at)
            VALUES ('SVMI', 'Maiquetia', 'VE', 10.6, -67.0, 't', 't', now()),
                   ('LEMD', 'Madrid', 'ES', 40.5, -3.6, 't', 't', now())""")
        yield connection


def act(con, action_id, action, carrier, effective, end=None, authority="INAC", *,
        announced=None, jurisdiction="VE", name=None, tags=None):
    con.execute(
        "INSERT INTO permit_actions (action_id, authority, action, carrier_icao, carrier_name, "
        "jurisdiction_country, effective_date, end_date, announced_date, source_url, tags, "
        "source_partition, run_id, loaded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'https://example.org', ?, 'registry', 't', now())",
        [action_id, authority, action, carrier, name, jurisdiction, effective, end, announced,
         tags])


def flight(con, flight_id, carrier, day, origin="LEMD", dest="SVMI"):
    con.execute(
        "INSERT INTO flights (flight_id, source, source_partition, flight_date, carrier_icao, "
        "origin_icao, dest_icao, status, run_id, loaded_at) "
        "VALUES (?, 'opensky', 'p', ?, ?, ?, ?, 'observed', 't', now())",
        [flight_id, day, carrier, origin, dest])


def history(con, carrier="IBE") -> list[tuple]:
    store.rebuild_derived(con)
    return con.execute(
        "SELECT status, valid_from, valid_to, action_id FROM carrier_status "
        "WHERE carrier_icao = ? ORDER BY valid_from, status", [carrier]).fetchall()


def test_revocation_without_end_is_still_in_force(con):
    act(con, "rev", "revoked", "IBE", "2025-11-26")
    assert history(con) == [("revoked", date(2025, 11, 26), None, "rev")]


def test_end_date_returns_the_carrier_to_authorized(con):
    act(con, "sus", "suspended", "IBE", "2025-01-10", "2025-01-12")
    assert history(con) == [("suspended", date(2025, 1, 10), date(2025, 1, 12), "sus"),
                            ("authorized", date(2025, 1, 12), None, "sus")]


def test_a_later_act_pre_empts_an_end_date(con):
    act(con, "ultimatum", "restricted", "IBE", "2025-11-24", "2025-11-26")
    act(con, "rev", "revoked", "IBE", "2025-11-26")
    assert history(con) == [("restricted", date(2025, 11, 24), date(2025, 11, 26), "ultimatum"),
                            ("revoked", date(2025, 11, 26), None, "rev")]


def test_restored_starts_authorized(con):
    act(con, "sus", "suspended", "CMP", "2024-07-31")
    act(con, "back", "restored", "CMP", "2025-05-27")
    assert history(con, "CMP") == [("suspended", date(2024, 7, 31), date(2025, 5, 27), "sus"),
                                   ("authorized", date(2025, 5, 27), None, "back")]


def test_voluntary_and_country_wide_acts_are_not_status(con):
    act(con, "vol", "voluntary_suspension", "IBE", "2025-11-24", authority="AIRLINE")
    act(con, "all", "suspended", None, "2025-01-10")
    store.rebuild_derived(con)
    assert con.execute("SELECT count(*) FROM carrier_status").fetchall() == [(0,)]


def test_flights_give_the_last_day_before_and_first_day_after(con):
    act(con, "rev", "revoked", "IBE", "2025-11-26")
    flight(con, "a", "IBE", "2025-11-20")
    flight(con, "b", "IBE", "2025-11-22", origin="SVMI", dest="LEMD")
    flight(con, "c", "IBE", "2025-11-27", origin="LEMD", dest="LEMD")  # not in VE
    flight(con, "d", "AEA", "2025-11-25")  # another carrier
    store.rebuild_derived(con)
    assert con.execute("SELECT last_flight_before, first_flight_after FROM carrier_status"
                       ).fetchall() == [(date(2025, 11, 22), None)]
    flight(con, "e", "IBE", "2025-12-02")
    store.rebuild_derived(con)
    assert con.execute("SELECT first_flight_after FROM carrier_status").fetchall() == [
        (date(2025, 12, 2),)]


def test_the_evidence_as_known_on_a_day_has_no_flight_after_it(con):
    act(con, "sus", "suspended", "IBE", "2025-11-26", "2025-12-10")
    flight(con, "a", "IBE", "2025-11-20")
    flight(con, "b", "IBE", "2025-12-01")
    flight(con, "c", "IBE", "2025-12-12")
    store.rebuild_derived(con)
    evidence = ("SELECT status, last_flight_before, first_flight_after "
                "FROM carrier_status_known(DATE '{}') ORDER BY valid_from")
    assert con.execute(evidence.format("2025-11-30")).fetchall() == [
        ("suspended", date(2025, 11, 20), None), ("authorized", date(2025, 12, 1), None)]
    assert con.execute(evidence.format("2025-12-31")).fetchall() == [
        ("suspended", date(2025, 11, 20), date(2025, 12, 1)),
        ("authorized", date(2025, 12, 1), date(2025, 12, 12))]


def test_a_database_migrated_to_the_evidence_table_has_its_evidence_at_once(tmp_path):
    path = tmp_path / "fdp.duckdb"
    with store.connect(path) as con:
        act(con, "rev", "revoked", "IBE", "2025-11-26")
        con.execute("INSERT INTO carrier_country_days VALUES ('IBE', 'VE', DATE '2025-11-20')")
        con.execute("DROP TABLE carrier_evidence; DELETE FROM schema_migrations "
                    "WHERE version = 22")  # as the database was before migration 022
    with store.connect(path) as con:
        assert con.execute("SELECT carrier_icao, last_flight_date FROM suspended_carriers"
                           ).fetchall() == [("IBE", date(2025, 11, 20))]


def test_asof_macro_and_suspended_view(con):
    act(con, "rev", "revoked", "IBE", "2025-11-26")
    store.rebuild_derived(con)
    asof = "SELECT carrier_icao, status FROM carrier_status_asof(DATE '{}')"
    assert con.execute(asof.format("2025-11-25")).fetchall() == []
    assert con.execute(asof.format("2025-11-26")).fetchall() == [("IBE", "revoked")]
    assert con.execute("SELECT carrier_icao, since, source_url FROM suspended_carriers"
                       ).fetchall() == [("IBE", date(2025, 11, 26), "https://example.org")]


def suspended_on(con, day: str) -> list[tuple]:
    return con.execute(
        "SELECT coalesce(carrier_icao, carrier_name), jurisdiction_country, status, since, until, "
        "ended_by, note FROM restricted_carriers_asof(CAST(? AS DATE)) ORDER BY ALL", [day]
    ).fetchall()


def test_a_carriers_resumption_ends_the_revocation(con):
    """INAC revoked IBE; IBE later resumed: it is not revoked 'today' any more."""
    act(con, "rev", "revoked", "IBE", "2025-11-26", announced="2025-11-26")
    act(con, "back", "voluntary_resumption", "IBE", "2026-04-07", authority="AIRLINE",
        announced="2026-01-30", tags="planned")
    assert history(con) == [("revoked", date(2025, 11, 26), date(2026, 4, 7), "rev"),
                            ("authorized", date(2026, 4, 7), None, "back")]
    assert con.execute("SELECT count(*) FROM suspended_carriers").fetchall() == [(0,)]
    assert suspended_on(con, "2026-04-07") == []


def test_a_status_resting_on_an_act_older_than_a_later_record_says_so(con):
    act(con, "rev", "revoked", "IBE", "2025-11-26", announced="2025-11-26")
    act(con, "back", "voluntary_resumption", "IBE", "2026-04-07", authority="AIRLINE",
        announced="2026-01-30", tags="planned")
    store.rebuild_derived(con)
    before_the_record = suspended_on(con, "2026-01-29")
    assert before_the_record == [("IBE", "VE", "revoked", date(2025, 11, 26), None, None, None)]
    [(*_, until, ended_by, note)] = suspended_on(con, "2026-02-01")
    assert (until, ended_by) == (date(2026, 4, 7), "back")
    assert note == "a later record, back [planned], ends it on 2026-04-07"


def test_as_of_uses_only_acts_announced_by_that_day(con):
    """AEA's suspension took effect on 1 Dec but was announced on 2 Dec: a report of 1 Dec
    does not know it, one of 2 Dec does (and says since 1 Dec)."""
    act(con, "aea", "suspended", "AEA", "2025-12-01", announced="2025-12-02")
    store.rebuild_derived(con)
    assert suspended_on(con, "2025-12-01") == []
    assert [row[:4] for row in suspended_on(con, "2025-12-02")] == [
        ("AEA", "VE", "suspended", date(2025, 12, 1))]
    assert con.execute("SELECT count(*) FROM carrier_status_known(DATE '2025-12-01')"
                       ).fetchall() == [(0,)]


def test_a_sanction_restricts_in_the_jurisdiction_of_the_authority(con):
    act(con, "sdn", "sanctioned", "VCV", "2020-02-07", authority="OFAC", jurisdiction="US")
    assert history(con, "VCV") == [("restricted", date(2020, 2, 7), None, "sdn")]
    assert con.execute("SELECT jurisdiction_country FROM carrier_status").fetchall() == [("US",)]


def test_a_carrier_without_designator_is_kept_under_its_name_with_a_note(con):
    act(con, "pue", "suspended", None, "2025-12-01", name="Plus Ultra", announced="2025-12-02")
    act(con, "pue-back", "voluntary_resumption", None, "2026-03-03", name="Plus Ultra",
        authority="AIRLINE", announced="2026-02-09")
    store.rebuild_derived(con)
    [(carrier, *_, note)] = suspended_on(con, "2025-12-05")
    assert carrier == "Plus Ultra"
    assert "without an ICAO designator" in note
    assert suspended_on(con, "2026-03-03") == []


def test_a_resumption_with_nothing_to_end_starts_no_status(con):
    act(con, "vol", "voluntary_suspension", "RPB", "2025-12-05", authority="AIRLINE")
    act(con, "back", "voluntary_resumption", "RPB", "2026-01-16", authority="AIRLINE")
    assert history(con, "RPB") == []


def test_disputed_acts_say_so(con):
    act(con, "rev", "revoked", "GLO", "2025-11-26", tags="disputed-legal-form")
    store.rebuild_derived(con)
    [(*_, note)] = suspended_on(con, "2025-11-27")
    assert note == "sources disagree about this act [disputed-legal-form]"


def test_evidence_kept_night_by_night_equals_a_rebuilds(con):
    """sql/derive/027 keeps each act date's evidence from the days a night rewrote: nights that
    add flights, a reload that takes away the last flight before an act (looked up again), and
    an act added later must leave what a rebuild computes."""
    act(con, "rev", "revoked", "IBE", "2025-11-26")

    def night(*days: str) -> None:
        con.begin()
        con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS "
                    "SELECT unnest(?::DATE[]) AS d", [list(days)])
        store.derive(con)
        con.commit()

    def evidence() -> list[tuple]:
        return con.execute("SELECT * FROM carrier_evidence ORDER BY ALL").fetchall()

    for n, day in enumerate(["2025-11-20", "2025-11-22", "2025-11-27"]):
        flight(con, f"f{n}", "IBE", day)
        night(day)
    assert evidence() == [("IBE", "VE", date(2025, 11, 26), date(2025, 11, 22),
                           date(2025, 11, 27))]
    con.execute("DELETE FROM flights WHERE flight_date = DATE '2025-11-22'")
    night("2025-11-22")  # the reload: 22 Nov had no flight after all
    act(con, "end", "authorized", "IBE", "2025-11-21")
    flight(con, "f3", "IBE", "2025-11-28")
    night("2025-11-28")
    nightly = evidence()
    assert nightly[1] == ("IBE", "VE", date(2025, 11, 26), date(2025, 11, 20), date(2025, 11, 27))
    store.rebuild_derived(con)
    assert evidence() == nightly and len(nightly) == 2
