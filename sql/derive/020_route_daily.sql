-- route_daily for the days the load touched (touched_dates, filled by the loader).
-- A flight's time is its airborne time (OpenSky's lastSeen - firstSeen) or block time (flight
-- lists), departure to arrival; a flown flight counts as timed when both are known and the
-- time is between 10 minutes and 20 hours (anything else is a data error, not a flight).
-- A route-day's flight-time baseline and spread (sql/derive/060) depend on its route's timed
-- days of the 28 days before only: a rewritten day keeps them (carried below), and 060 redoes
-- those of the days after a route-day whose time changed (retimed_route_days), so a night's
-- reload of yesterday, or of a day weeks ago, recomputes only what its new flights moved.
CREATE OR REPLACE TEMP TABLE old_route_days AS  -- the touched days' route-days as they were
SELECT * FROM route_daily WHERE flight_date IN (SELECT d FROM touched_dates);

CREATE OR REPLACE TEMP TABLE carried_baselines AS
SELECT route_key, flight_date, median_flight_minutes, flight_minutes_baseline,
       flight_minutes_spread
FROM old_route_days
WHERE timed_flights > 0;

INSERT INTO written_days SELECT DISTINCT 'route_daily', d FROM touched_dates;

CREATE OR REPLACE TEMP TABLE counted_route_days AS
WITH timed AS (
    SELECT *,
           CASE WHEN status IN ('observed', 'completed') THEN
                    date_diff('second', dep_time_utc, arr_time_utc) / 60.0 END AS minutes
    FROM counted_flights
    WHERE flight_date IN (SELECT d FROM touched_dates)
)
SELECT flight_date, carrier_icao, origin_icao, dest_icao,
       count(*) FILTER (WHERE status IN ('observed', 'completed', 'diverted')) AS flights,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE minutes BETWEEN 10 AND 1200) AS timed_flights,
       median(minutes) FILTER (WHERE minutes BETWEEN 10 AND 1200) AS median_flight_minutes
FROM timed
WHERE carrier_icao IS NOT NULL AND origin_icao IS NOT NULL AND dest_icao IS NOT NULL
GROUP BY ALL;

-- a route flown for the first time gets the next number (fdp_state.route_keys, migration 025)
INSERT INTO fdp_state.route_keys
SELECT (SELECT coalesce(max(route_key), 0) FROM fdp_state.route_keys)
           + row_number() OVER (ORDER BY carrier_icao, origin_icao, dest_icao),
       carrier_icao, origin_icao, dest_icao
FROM (SELECT DISTINCT carrier_icao, origin_icao, dest_icao FROM counted_route_days) n
ANTI JOIN fdp_state.route_keys k USING (carrier_icao, origin_icao, dest_icao);

-- the touched days' route-days, numbered, with the baselines carried over (060 replaces
-- those whose route's 28 days before changed); route_daily's columns, in its order
CREATE OR REPLACE TEMP TABLE new_route_days AS SELECT * FROM route_daily LIMIT 0;
INSERT INTO new_route_days BY NAME
SELECT c.*, k.route_key,
       CASE WHEN c.timed_flights > 0 THEN b.flight_minutes_baseline END
           AS flight_minutes_baseline,
       CASE WHEN c.timed_flights > 0 THEN b.flight_minutes_spread END AS flight_minutes_spread
FROM counted_route_days c
JOIN fdp_state.route_keys k USING (carrier_icao, origin_icao, dest_icao)
LEFT JOIN carried_baselines b USING (route_key, flight_date);

-- Only the route-days that are new, gone or changed are deleted and written: a night reloads
-- yesterday, whose route-days mostly stay as they were, and deleting them all made the
-- night's checkpoint rewrite route_daily's last row groups (0.15 s at a year, 0.03 s at a day).
-- A row's struct compares all its columns (the two tables have route_daily's).
CREATE OR REPLACE TEMP TABLE changed_route_days AS
SELECT route_key, flight_date
FROM new_route_days n
FULL JOIN old_route_days o USING (route_key, flight_date)
WHERE n IS DISTINCT FROM o;

DELETE FROM route_daily r
USING changed_route_days c
WHERE r.route_key = c.route_key AND r.flight_date = c.flight_date;

INSERT INTO route_daily
SELECT n.* FROM new_route_days n SEMI JOIN changed_route_days c USING (route_key, flight_date);

-- the touched days' timed route-days that are new, gone or of another median time: the
-- baselines of their routes' next 28 days move (060)
CREATE OR REPLACE TEMP TABLE retimed_route_days AS
SELECT route_key, flight_date
FROM (SELECT route_key, flight_date, median_flight_minutes
      FROM new_route_days WHERE timed_flights > 0) n
FULL JOIN carried_baselines o USING (route_key, flight_date)
WHERE n.median_flight_minutes IS DISTINCT FROM o.median_flight_minutes;
