"""country_traffic_daily reads country_daily (sql/derive/025), kept up to date night by night:
it must give the rows the original view computed from route_daily over all history."""

from __future__ import annotations

from datetime import date, timedelta

from pipeline import store
from pipeline.config import SQL_DIR

START = date(2025, 1, 6)
AIRPORTS = {"AAAA": "VE", "BBBB": "CO", "CCCC": "CO", "DDDD": "BR"}
ROUTES = [("AAA", "AAAA", "BBBB", 2), ("BBB", "BBBB", "CCCC", 1), ("CCC", "DDDD", "AAAA", 1)]


def original_view() -> str:
    """The view as sql/migrations/010_route_views.sql defined it, over route_daily."""
    text = (SQL_DIR / "migrations" / "010_route_views.sql").read_text(encoding="utf-8")
    head = "CREATE OR REPLACE VIEW country_traffic_daily AS"
    return text[text.index(head) + len(head):].strip().rstrip(";")


def rows(con, query: str) -> list[tuple]:
    return con.execute(
        f"SELECT country, flight_date, flights::BIGINT, cancelled::BIGINT, round(baseline, 9), "
        f"round(ratio, 9), disrupted FROM ({query}) ORDER BY ALL").fetchall()


def test_nightly_country_traffic_equals_the_view_over_all_history(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as con:
        con.executemany(
            "INSERT INTO airports (airport_icao, name, country, lat, lon, source_partition, "
            "run_id, loaded_at) VALUES (?, ?, ?, 0, 0, 'p', 't', now())",
            [(code, code, country) for code, country in AIRPORTS.items()])
        for n in range(60):
            day = START + timedelta(days=n)
            flights = [(f"{c}{o}{d}{day}{k}", day, c, o, d) for c, o, d, per_day in ROUTES
                       for k in range(per_day if n % 9 else 0) if not (c == "CCC" and n > 40)]
            if flights:  # every ninth day has no flights at all
                con.executemany(
                    "INSERT INTO flights (flight_id, source, source_partition, flight_date, "
                    "carrier_icao, origin_icao, dest_icao, status, run_id, loaded_at) "
                    "VALUES (?, 'test', 'p', ?, ?, ?, ?, 'observed', 't', now())", flights)
            con.begin()  # one night: derive for the day just added, as a load does
            con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS SELECT ?::DATE AS d",
                        [day])
            store.derive(con)
            con.commit()
        nightly = rows(con, "SELECT * FROM country_traffic_daily")
        assert nightly == rows(con, original_view())
        assert {r[0] for r in nightly} == {"VE", "CO", "BR"}
        store.rebuild_derived(con)
        assert rows(con, "SELECT * FROM country_traffic_daily") == nightly
