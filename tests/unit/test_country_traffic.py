"""country_traffic_daily reads country_daily (sql/derive/025), kept up to date night by night:
it must give the rows the original view computed from route_daily over all history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pipeline import store
from pipeline.store.db import transaction

pytestmark = pytest.mark.slow  # see `make test-fast`

START = date(2025, 1, 6)
AIRPORTS = {"AAAA": "VE", "BBBB": "CO", "CCCC": "CO", "DDDD": "BR"}
ROUTES = [("AAA", "AAAA", "BBBB", 2), ("BBB", "BBBB", "CCCC", 1), ("CCC", "DDDD", "AAAA", 1)]


# The view as it first was (sql/migrations/010 before the views moved to sql/views/): over
# route_daily and all history, the reference the incremental country_daily must match.
ORIGINAL_VIEW = """
WITH days AS (
    SELECT DISTINCT flight_date FROM route_daily
),
countries AS (
    SELECT r.flight_date, c.country, sum(r.flights) AS flights, sum(r.cancelled) AS cancelled
    FROM route_daily r
    JOIN airports o ON o.airport_icao = r.origin_icao
    JOIN airports d ON d.airport_icao = r.dest_icao
    CROSS JOIN LATERAL (SELECT DISTINCT unnest([o.country, d.country]) AS country) c
    GROUP BY ALL
),
spine AS (
    SELECT c.country, d.flight_date, coalesce(x.flights, 0) AS flights,
           coalesce(x.cancelled, 0) AS cancelled
    FROM (SELECT DISTINCT country FROM countries) c
    CROSS JOIN days d
    LEFT JOIN countries x ON x.country = c.country AND x.flight_date = d.flight_date
),
scored AS (
    SELECT s.*, avg(p.flights) AS baseline
    FROM spine s
    LEFT JOIN spine p
      ON p.country = s.country
     AND p.flight_date IN (s.flight_date - 7, s.flight_date - 14, s.flight_date - 21,
                           s.flight_date - 28)
    GROUP BY ALL
)
SELECT country, flight_date, flights, cancelled, baseline,
       CASE WHEN baseline > 0 THEN flights / baseline END AS ratio,
       coalesce(baseline >= 5 AND flights < 0.5 * baseline, false) AS disrupted
FROM scored
"""


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
        assert nightly == rows(con, ORIGINAL_VIEW)
        assert {r[0] for r in nightly} == {"VE", "CO", "BR"}
        store.rebuild_derived(con)
        assert rows(con, "SELECT * FROM country_traffic_daily") == nightly


def test_reloaded_airports_move_every_day_to_their_new_countries(tmp_path):
    """A reload of the airports (sql/load/airports marks airports_reloaded) can change their
    countries: every day's country rows are derived again, none of the old ones is left."""
    with store.connect(tmp_path / "fdp.duckdb") as con:
        con.executemany(
            "INSERT INTO airports (airport_icao, name, country, lat, lon, source_partition, "
            "run_id, loaded_at) VALUES (?, ?, ?, 0, 0, 'p', 't', now())",
            [(code, code, country) for code, country in AIRPORTS.items()])
        days = [START + timedelta(days=n) for n in range(3)]
        con.executemany(
            "INSERT INTO flights (flight_id, source, source_partition, flight_date, "
            "carrier_icao, origin_icao, dest_icao, status, run_id, loaded_at) "
            "VALUES (?, 'test', 'p', ?, 'AAA', 'AAAA', 'BBBB', 'observed', 't', now())",
            [(f"f{day}", day) for day in days])
        for day in days:
            with transaction(con):
                con.execute("CREATE OR REPLACE TEMP TABLE touched_dates AS SELECT ?::DATE AS d",
                            [day])
                store.derive(con)
        con.execute("UPDATE airports SET country = 'PA' WHERE airport_icao = 'BBBB'")
        with transaction(con):
            con.execute("CREATE OR REPLACE TEMP TABLE touched_dates (d DATE)")  # no new day
            con.execute("CREATE TEMP TABLE IF NOT EXISTS airports_reloaded (reloaded BOOLEAN)")
            con.execute("INSERT INTO airports_reloaded VALUES (true)")
            store.derive(con)
        expected = sorted((day, country) for day in days for country in ("PA", "VE"))
        assert con.execute("SELECT flight_date, country FROM country_daily ORDER BY ALL"
                           ).fetchall() == expected
        assert con.execute("SELECT flight_date, country FROM carrier_country_days ORDER BY ALL"
                           ).fetchall() == expected
