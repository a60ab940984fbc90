"""`make bench-detect`: how right and how fast route-suspension alerts are, on real flights.

    python -m bench.detect [--cache data/bench-detect]

The dev set is real (bench/detect_data.py: 3 million US domestic flights of January-June 2001,
routes as airport pairs under a stand-in carrier). The flights are written into a fresh DuckDB
file, the product's own derive SQL detects the route events (store.rebuild_derived: the same
events, with the same detected_on, as night by night), and bench/detect_score.sql scores them.
A fixed "3 days without a flight" rule is scored on the same routes in the same run, for
comparison. The synthetic stress set (bench/detect_stress.py) checks what the real set lacks,
and the detour stress set (bench/detect_detours.py) gives the real set's flights synthetic
flight times, since it has none.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from time import perf_counter

import airportsdata
import duckdb
import pandas as pd

import bench.detect_detours as detect_detours
import bench.detect_stress as detect_stress
from bench.detect_data import STAND_IN_CARRIER, dev_set
from pipeline import store
from pipeline.config import REPO_ROOT

SCORE_SQL = Path(__file__).with_name("detect_score.sql")
# US federal holidays in the dev set's half-year, for classifying wrong alerts
HOLIDAYS_2001 = ("2001-01-01", "2001-01-15", "2001-02-19", "2001-05-28")
TARGETS = {"precision": 0.90, "recall": 0.95, "median_latency": 4, "steady_alerted": 0.01}


def load_dev_set(con: duckdb.DuckDBPyConnection, parquet: Path) -> tuple[int, int]:
    """Every flight whose two airports airportsdata knows, as `flights` rows of the stand-in
    carrier; returns (loaded, dropped for an unknown airport)."""
    iata = airportsdata.load("IATA")
    con.register("airport_codes", pd.DataFrame(
        {"iata": list(iata), "icao": [a["icao"] for a in iata.values()]}))
    con.execute(f"""
        INSERT INTO flights BY NAME
        SELECT substr(md5(concat_ws('|', origin, destination, date, row_number() OVER ())),
                      1, 20) AS flight_id,
               'vega_flights' AS source, strftime(date, '%Y-%m') AS source_partition,
               CAST(date AS DATE) AS flight_date,
               '{STAND_IN_CARRIER}' AS carrier_icao, '{STAND_IN_CARRIER}' AS carrier_code,
               o.icao AS origin_icao, d.icao AS dest_icao,
               origin AS origin_code, destination AS dest_code,
               date AS dep_time_utc,  -- local time in the set: only the day matters here
               'completed' AS status, 'bench-detect' AS run_id,
               TIMESTAMP '2001-01-01' AS loaded_at, TIMESTAMP '2001-01-01' AS fetched_at
        FROM read_parquet(?) f
        JOIN airport_codes o ON o.iata = f.origin
        JOIN airport_codes d ON d.iata = f.destination""", [str(parquet)])
    _load_airports(con)
    [(loaded,)] = con.execute("SELECT count(*) FROM flights").fetchall()
    [(total,)] = con.execute("SELECT count(*) FROM read_parquet(?)", [str(parquet)]).fetchall()
    return loaded, total - loaded


def _load_airports(con: duckdb.DuckDBPyConnection) -> None:
    """The dev set's airports, with their real positions and countries (airportsdata), as the
    airports source would load them: service shifts measure distances between them."""
    known = airportsdata.load("ICAO")
    used = [code for (code,) in con.execute(
        "SELECT origin_icao FROM flights UNION SELECT dest_icao FROM flights").fetchall()]
    con.executemany(
        "INSERT INTO airports (airport_icao, iata, name, country, lat, lon, source_partition, "
        "run_id, loaded_at) VALUES (?, ?, ?, ?, ?, ?, 'airportsdata', 'bench-detect', now())",
        [(code, known[code]["iata"], known[code]["name"], known[code]["country"],
          known[code]["lat"], known[code]["lon"]) for code in used])


def ours(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE OR REPLACE TEMP TABLE alerts AS
                   SELECT carrier_icao, origin_icao, dest_icao, last_flight_date, detected_on
                   FROM route_events WHERE event_type = 'suspended'""")


def three_silent_days(con: duckdb.DuckDBPyConnection) -> None:
    """The fixed rule: alert on the third day without a flight, for routes the detector judges
    too (at least 3 flights in the 28 days up to the last one)."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE alerts AS
        WITH days AS (
            SELECT carrier_icao, origin_icao, dest_icao, flight_date,
                   lead(flight_date) OVER r AS next_flight,
                   sum(flights) OVER (r RANGE BETWEEN INTERVAL 27 DAY PRECEDING
                                      AND CURRENT ROW) AS flights_28d
            FROM route_daily WHERE flights > 0
            WINDOW r AS (PARTITION BY carrier_icao, origin_icao, dest_icao ORDER BY flight_date)
        )
        SELECT d.carrier_icao, d.origin_icao, d.dest_icao, d.flight_date AS last_flight_date,
               d.flight_date + 3 AS detected_on
        FROM days d, (SELECT max(flight_date) AS last_day FROM route_daily) s
        WHERE flights_28d >= 3
          AND coalesce(d.next_flight, s.last_day + 1) > d.flight_date + 3
          AND d.flight_date + 3 <= s.last_day""")


def score(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    cursor = con.execute(SCORE_SQL.read_text(encoding="utf-8"))
    names = [c[0] for c in cursor.description]
    row = dict(zip(names, cursor.fetchall()[0], strict=True))
    alerts, stops = row["alerts"], row["real_stops"]
    return {
        **row,
        "precision": row["right_alerts"] / alerts if alerts else float("nan"),
        "recall": row["found_stops"] / stops if stops else float("nan"),
        "steady_alerted_share": (row["steady_alerted"] / row["steady_routes"]
                                 if row["steady_routes"] else float("nan")),
    }


def wrong_alerts_by_class(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The wrong alerts of the last score(), by what the silence was."""
    holidays = ", ".join(f"DATE '{d}'" for d in HOLIDAYS_2001)
    return con.execute(f"""
        WITH wrong AS (
            SELECT a.*,
                   EXISTS (SELECT 1 FROM route_daily r
                           WHERE r.carrier_icao = a.carrier_icao
                             AND r.origin_icao = a.origin_icao AND r.dest_icao = a.dest_icao
                             AND r.flight_date > a.last_flight_date
                             AND r.flight_date < a.next_flight AND r.cancelled > 0)
                       AS cancelled_in_gap,
                   list_has_any([{holidays}], generate_series(a.last_flight_date - 2,
                                a.last_flight_date + CAST(a.silent_days AS INTEGER) + 2,
                                INTERVAL 1 DAY)
                                ::DATE[]) AS near_holiday
            FROM score_alerts a WHERE verdict = 'wrong'
        )
        SELECT CASE WHEN cancelled_in_gap THEN 'flights scheduled but cancelled'
                    WHEN near_holiday THEN 'silence around a public holiday'
                    WHEN flights_28d >= 28 THEN 'daily or busier route, short silence'
                    WHEN flights_28d >= 12 THEN '3 to 6 a week, short silence'
                    ELSE 'sparse route (under 3 a week), short silence' END AS class,
               count(*) AS alerts,
               round(avg(silent_days), 1) AS mean_silent_days,
               round(avg(detected_on - last_flight_date), 1) AS mean_days_to_alert
        FROM wrong GROUP BY 1 ORDER BY 2 DESC""").df()


def shift_rate(database: Path) -> str:
    """Service shifts (sql/derive/050) on the dev set, which holds no airspace closure or ban:
    every one is a false alarm unless a look at it says otherwise. Per 1,000 route-months (a
    route with flights in a calendar month)."""
    with store.connect(database, read_only=True) as con:
        [(shifts,)] = con.execute("SELECT count(*) FROM service_shifts").fetchall()
        [(route_months,)] = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT carrier_icao, origin_icao, dest_icao, "
            "date_trunc('month', flight_date) FROM route_daily WHERE flights > 0)").fetchall()
    rate = 1000 * shifts / route_months
    return (f"service shifts on the real dev set: {shifts} in {route_months:,} route-months, "
            f"{rate:.2f} per 1,000 (target <= 1: {'met' if rate <= 1 else 'NOT met'})")


def report(name: str, s: dict[str, float]) -> str:
    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"
    return (f"{name:<30} {s['alerts']:>6} {pct(s['precision']):>9} "
            f"{s['found_stops']:>4}/{s['real_stops']:<4} {pct(s['recall']):>7} "
            f"{s['median_latency']:>6} {s['p90_latency']:>5} "
            f"{s['steady_alerted']:>4}/{s['steady_routes']:<4} "
            f"{pct(s['steady_alerted_share']):>6}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.detect", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=REPO_ROOT / "data" / "bench-detect",
                        help="where the dev set is kept between runs (default data/bench-detect)")
    args = parser.parse_args(argv)
    began = perf_counter()
    parquet = dev_set(args.cache)
    database = args.cache / "detect.duckdb"
    database.unlink(missing_ok=True)
    with store.connect(database) as con:
        loaded, dropped = load_dev_set(con, parquet)
        print(f"dev set: {loaded:,} real flights loaded ({dropped:,} with an airport "
              f"airportsdata does not know left out), airport pairs under the stand-in "
              f"carrier {STAND_IN_CARRIER}")
        started = perf_counter()
        store.rebuild_derived(con)
        print(f"detector over the half-year: {perf_counter() - started:.1f} s")
        header = (f"{'method':<30} {'alerts':>6} {'precision':>9} {'found':>9} {'recall':>7} "
                  f"{'median':>6} {'p90':>5} {'steady':>9} {'alerted':>6}")
        print(f"\n{header}\n{'-' * len(header)}")
        three_silent_days(con)
        print(report("3 days without a flight", score(con)))
        ours(con)
        result = score(con)
        print(report("ours (sql/derive/040)", result))
        print(f"\nwrong alerts of ours by class:\n"
              f"{wrong_alerts_by_class(con).to_string(index=False)}")
    met = {
        "precision": result["precision"] >= TARGETS["precision"],
        "recall": result["recall"] >= TARGETS["recall"],
        "median latency": result["median_latency"] <= TARGETS["median_latency"],
        "steady routes alerted": result["steady_alerted_share"] <= TARGETS["steady_alerted"],
    }
    print("\ntargets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in met.items()))
    print(f"\n{shift_rate(database)}")
    print(f"\n{detect_detours.run(database, args.cache / 'detours.duckdb')}")
    stress = detect_stress.run(args.cache / "stress.duckdb")
    print(f"\nsynthetic stress set (SYNTHETIC flights, known answers):\n{stress}")
    print(f"\nwhole run {perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
