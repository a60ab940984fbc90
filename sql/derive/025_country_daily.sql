-- country_daily and carrier_country_days for the days the load touched (touched_dates), from
-- route_daily (020); for every day when the airports were reloaded (sql/load/airports), as
-- their countries may differ. (Each table's rows go in two deletes, by day and all of them: in
-- one, the OR kept the days' filter from the scan, which read a year's table every night.)
CREATE TEMP TABLE IF NOT EXISTS airports_reloaded (reloaded BOOLEAN);

CREATE OR REPLACE TEMP TABLE country_days AS
SELECT d FROM touched_dates
UNION
SELECT DISTINCT flight_date FROM route_daily WHERE EXISTS (SELECT 1 FROM airports_reloaded);

DELETE FROM country_daily WHERE flight_date IN (SELECT d FROM country_days);
DELETE FROM country_daily WHERE EXISTS (SELECT 1 FROM airports_reloaded);
INSERT INTO written_days  -- a NULL day: the whole table (pipeline/store/publish.py)
SELECT t.table_name, c.d
FROM (SELECT d FROM country_days WHERE NOT EXISTS (SELECT 1 FROM airports_reloaded)
      UNION ALL
      SELECT NULL WHERE EXISTS (SELECT 1 FROM airports_reloaded)) c,
     (VALUES ('country_daily'), ('carrier_country_days')) t(table_name);

INSERT INTO country_daily
SELECT r.flight_date, c.country, sum(r.flights), sum(r.cancelled)
FROM (  -- the days first: joined before the airports, the filter came after a year of rows
    SELECT * FROM route_daily WHERE flight_date IN (SELECT d FROM country_days)
) r
JOIN airports o ON o.airport_icao = r.origin_icao
JOIN airports d ON d.airport_icao = r.dest_icao
CROSS JOIN LATERAL (SELECT DISTINCT unnest([o.country, d.country]) AS country) c
GROUP BY ALL;

DELETE FROM carrier_country_days WHERE flight_date IN (SELECT d FROM country_days);
DELETE FROM carrier_country_days WHERE EXISTS (SELECT 1 FROM airports_reloaded);

INSERT INTO carrier_country_days  -- either end counts, even when the other is unknown
WITH flown AS (  -- the days first: a year of flights is never scanned for a night
    SELECT f.carrier_icao, f.origin_icao, f.dest_icao, f.flight_date
    FROM flights f
    ANTI JOIN flight_duplicates x ON x.source = f.source AND x.flight_id = f.flight_id
    WHERE f.flight_date IN (SELECT d FROM country_days)
      AND f.carrier_icao IS NOT NULL
      AND f.status IN ('observed', 'completed', 'diverted')
),
legs AS (
    SELECT carrier_icao, origin_icao AS airport_icao, flight_date FROM flown
    UNION
    SELECT carrier_icao, dest_icao, flight_date FROM flown
)
SELECT DISTINCT l.carrier_icao, a.country, l.flight_date
FROM legs l
JOIN airports a USING (airport_icao);

DELETE FROM airports_reloaded;
