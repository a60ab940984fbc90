-- airport_traffic_daily for the touched days and the days whose baseline uses them (up to 28
-- days later). Cost: the touched days' flights; the other days of the window are read from the
-- counts this table already holds (a day's counts depend on that day's flights only).
--   baseline  = mean flights of the same weekday 7, 14, 21 and 28 days before (days with data)
--   disrupted = baseline >= 5 and flights < half of it
CREATE OR REPLACE TEMP TABLE traffic_window AS
SELECT min(d) - 28 AS lo, max(d) + 28 AS hi FROM touched_dates;

CREATE OR REPLACE TEMP TABLE airport_counts AS
WITH legs AS (
    SELECT f.flight_date, f.origin_icao AS airport_icao, f.status
    FROM counted_flights f
    WHERE f.origin_icao IS NOT NULL AND f.flight_date IN (SELECT d FROM touched_dates)
    UNION ALL
    SELECT f.flight_date, f.dest_icao, f.status
    FROM counted_flights f
    WHERE f.dest_icao IS NOT NULL AND f.dest_icao IS DISTINCT FROM f.origin_icao
      AND f.flight_date IN (SELECT d FROM touched_dates)
),
counts AS (
    SELECT airport_icao, flight_date,
           count(*) FILTER (WHERE status IN ('observed', 'completed', 'diverted')) AS flights,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled
    FROM legs GROUP BY ALL
    UNION ALL
    SELECT t.airport_icao, t.flight_date, t.flights, t.cancelled
    FROM airport_traffic_daily t, traffic_window w
    WHERE t.flight_date BETWEEN w.lo AND w.hi
      AND t.flight_date NOT IN (SELECT d FROM touched_dates)
),
data_days AS (  -- a day on which nothing at all was loaded is no evidence of anything
    SELECT DISTINCT f.flight_date FROM flights f, traffic_window w
    WHERE f.flight_date BETWEEN w.lo AND w.hi
),
airports_seen AS (SELECT DISTINCT airport_icao FROM counts)
SELECT a.airport_icao, d.flight_date,
       coalesce(c.flights, 0) AS flights, coalesce(c.cancelled, 0) AS cancelled
FROM airports_seen a
CROSS JOIN data_days d
LEFT JOIN counts c ON c.airport_icao = a.airport_icao AND c.flight_date = d.flight_date;

DELETE FROM airport_traffic_daily
WHERE flight_date BETWEEN (SELECT lo + 28 FROM traffic_window) AND (SELECT hi FROM traffic_window);
INSERT INTO written_days
SELECT 'airport_traffic_daily', CAST(unnest(generate_series(lo + 28, hi, INTERVAL 1 DAY)) AS DATE)
FROM traffic_window WHERE lo IS NOT NULL;

INSERT INTO airport_traffic_daily
WITH scored AS (
    SELECT c.airport_icao, c.flight_date, c.flights, c.cancelled, avg(p.flights) AS baseline
    FROM airport_counts c
    LEFT JOIN airport_counts p
      ON p.airport_icao = c.airport_icao
     AND p.flight_date IN (c.flight_date - 7, c.flight_date - 14, c.flight_date - 21,
                           c.flight_date - 28)
    WHERE c.flight_date BETWEEN (SELECT lo + 28 FROM traffic_window)
                            AND (SELECT hi FROM traffic_window)
    GROUP BY ALL
)
SELECT airport_icao, flight_date, flights, cancelled, baseline,
       CASE WHEN baseline > 0 THEN flights / baseline END AS ratio,
       coalesce(baseline >= 5 AND flights < 0.5 * baseline, false) AS disrupted
FROM scored
WHERE flights > 0 OR cancelled > 0 OR coalesce(baseline, 0) > 0;
