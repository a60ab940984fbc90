-- Flights to, from or within each country per UTC day against the same weekday of the four
-- weeks before; disrupted: baseline >= 5 and fewer than half of it. Reads country_daily (kept
-- up to date by sql/derive/025_country_daily.sql), with equi-joins for the baseline.
CREATE OR REPLACE VIEW country_traffic_daily AS
WITH days AS (
    SELECT DISTINCT flight_date FROM airport_traffic_daily  -- the days with data (small table)
),
spine AS (
    SELECT c.country, d.flight_date, coalesce(x.flights, 0) AS flights,
           coalesce(x.cancelled, 0) AS cancelled
    FROM (SELECT DISTINCT country FROM country_daily) c
    CROSS JOIN days d
    LEFT JOIN country_daily x ON x.country = c.country AND x.flight_date = d.flight_date
),
weeks_before AS (  -- the same weekday 7, 14, 21 and 28 days before, where that day has data
    SELECT s.*, p.flights AS flights_before
    FROM spine s
    CROSS JOIN (SELECT unnest([7, 14, 21, 28]) AS back) b
    LEFT JOIN spine p ON p.country = s.country AND p.flight_date = s.flight_date - b.back
),
scored AS (
    SELECT country, flight_date, any_value(flights) AS flights,
           any_value(cancelled) AS cancelled, avg(flights_before) AS baseline
    FROM weeks_before
    GROUP BY country, flight_date
)
SELECT country, flight_date, flights, cancelled, baseline,
       CASE WHEN baseline > 0 THEN flights / baseline END AS ratio,
       coalesce(baseline >= 5 AND flights < 0.5 * baseline, false) AS disrupted
FROM scored;
