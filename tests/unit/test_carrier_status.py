"""carrier_status derivation (sql/derive/010_carrier_status.sql) on small, known histories."""

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


def act(con, action_id, action, carrier, effective, end=None, authority="INAC"):
    con.execute(
        "INSERT INTO permit_actions (action_id, authority, action, carrier_icao, "
        "jurisdiction_country, effective_date, end_date, source_url, source_partition, run_id, "
        "loaded_at) VALUES (?, ?, ?, ?, 'VE', ?, ?, 'https://example.org', 'registry', 't', now())",
        [action_id, authority, action, carrier, effective, end])


def flight(con, flight_id, carrier, day, origin="LEMD", dest="SVMI"):
    con.execute(
        "INSERT INTO flights (flight_id, source, source_partition, flight_date, carrier_icao, "
        "origin_icao, dest_icao, status, run_id, loaded_at) "
        "VALUES (?, 'opensky', 'p', ?, ?, ?, ?, 'observed', 't', now())",
        [flight_id, day, carrier, origin, dest])


def history(con, carrier="IBE") -> list[tuple]:
    store.derive(con)
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
    store.derive(con)
    assert con.execute("SELECT count(*) FROM carrier_status").fetchall() == [(0,)]


def test_flights_give_the_last_day_before_and_first_day_after(con):
    act(con, "rev", "revoked", "IBE", "2025-11-26")
    flight(con, "a", "IBE", "2025-11-20")
    flight(con, "b", "IBE", "2025-11-22", origin="SVMI", dest="LEMD")
    flight(con, "c", "IBE", "2025-11-27", origin="LEMD", dest="LEMD")  # not in VE
    flight(con, "d", "AEA", "2025-11-25")  # another carrier
    store.derive(con)
    assert con.execute("SELECT last_flight_before, first_flight_after FROM carrier_status"
                       ).fetchall() == [(date(2025, 11, 22), None)]
    flight(con, "e", "IBE", "2025-12-02")
    store.derive(con)
    assert con.execute("SELECT first_flight_after FROM carrier_status").fetchall() == [
        (date(2025, 12, 2),)]


def test_asof_macro_and_suspended_view(con):
    act(con, "rev", "revoked", "IBE", "2025-11-26")
    store.derive(con)
    asof = "SELECT carrier_icao, status FROM carrier_status_asof(DATE '{}')"
    assert con.execute(asof.format("2025-11-25")).fetchall() == []
    assert con.execute(asof.format("2025-11-26")).fetchall() == [("IBE", "revoked")]
    assert con.execute("SELECT carrier_icao, since, source_url FROM suspended_carriers"
                       ).fetchall() == [("IBE", date(2025, 11, 26), "https://example.org")]
