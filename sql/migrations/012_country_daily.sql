-- Flights to, from or within each country per UTC day, kept up to date by
-- sql/derive/025_country_daily.sql for the touched days, so that country_traffic_daily reads a
-- few hundred rows a day instead of aggregating route_daily over all history (1.6 s over a year
-- of global traffic; bench/README.md). A flight between two countries counts for both.
CREATE TABLE country_daily (
    flight_date DATE NOT NULL,
    country     VARCHAR NOT NULL,
    flights     BIGINT NOT NULL,   -- flown: observed, completed or diverted
    cancelled   BIGINT NOT NULL,
    PRIMARY KEY (flight_date, country)
);

INSERT INTO country_daily
SELECT r.flight_date, c.country, sum(r.flights), sum(r.cancelled)
FROM route_daily r
JOIN airports o ON o.airport_icao = r.origin_icao
JOIN airports d ON d.airport_icao = r.dest_icao
CROSS JOIN LATERAL (SELECT DISTINCT unnest([o.country, d.country]) AS country) c
GROUP BY ALL;

-- Same rows as before (sql/migrations/010_route_views.sql), from country_daily, with
-- equi-joins for the baseline.
CREATE OR REPLACE VIEW country_traffic_daily AS
WITH days AS (
    SELECT DISTINCT flight_date FROM route_daily
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
