-- route_events: started, suspended and resumed, judged against each route's own schedule.
--
-- Suspended. After a route's last flight L, each following day g is evidence only if data
-- was loaded that day and neither airport had a data hole (its whole traffic far below its
-- baseline: a coverage gap or a closure, not this route's decision). On each evidence day
-- the route "should" have flown rate(weekday(g)) times, where rate is its mean number of
-- flights on that weekday over the 28 days up to L. If it still flew, zero flights in the
-- gap would have probability P = exp(-sum of those expectations) (Poisson). The suspension
-- is detected on the first day P <= 0.05 (confidence = 1 - P), using only data up to that
-- day; its event_date is L + 1. A daily route is flagged after about 3 silent days, a
-- weekly one after about 3 silent weeks. Routes with fewer than 3 flights in those 28 days
-- are not judged.
-- Resumed. The first flight after a detected suspension.
-- Started. A flight on a route with none in the 365 days before (and data for at least
-- 28 of them), confirmed by a second flight within 14 days (detected on that day).
--
-- Incremental: only routes that flew in the 120 days before the first touched day, and only
-- their gaps still open on that day, are recomputed.
CREATE OR REPLACE TEMP TABLE route_window AS
SELECT min(d) - 120 AS lo, min(d) AS gap_from,
       (SELECT min(flight_date) FROM route_daily) AS data_start
FROM touched_dates;

CREATE OR REPLACE TEMP TABLE affected_routes AS
SELECT DISTINCT r.carrier_icao, r.origin_icao, r.dest_icao
FROM route_daily r, route_window w
WHERE r.flights > 0 AND r.flight_date >= w.lo;

-- Flight days of those routes from lo on, and each route's last flight day before lo (within a
-- year): all that the gaps below need. Most routes flew in the 28 days before lo; only the
-- others are looked up further back, so a night reads weeks of route_daily, not a year.
CREATE OR REPLACE TEMP TABLE route_days AS
WITH recent AS (
    SELECT r.carrier_icao, r.origin_icao, r.dest_icao, r.flight_date
    FROM route_daily r
    JOIN affected_routes a USING (carrier_icao, origin_icao, dest_icao), route_window w
    WHERE r.flights > 0 AND r.flight_date >= w.lo - 28
),
before_lo AS (
    SELECT carrier_icao, origin_icao, dest_icao, max(flight_date) AS flight_date
    FROM recent, route_window w
    WHERE flight_date < w.lo
    GROUP BY ALL
),
quiet AS (  -- no flight in the 28 days before lo
    SELECT * FROM affected_routes
    ANTI JOIN before_lo USING (carrier_icao, origin_icao, dest_icao)
),
long_before_lo AS (
    SELECT r.carrier_icao, r.origin_icao, r.dest_icao, max(r.flight_date) AS flight_date
    FROM route_daily r
    JOIN quiet q USING (carrier_icao, origin_icao, dest_icao), route_window w
    WHERE r.flights > 0 AND r.flight_date >= w.lo - 365 AND r.flight_date < w.lo - 28
    GROUP BY ALL
)
SELECT r.* FROM recent r, route_window w WHERE r.flight_date >= w.lo
UNION ALL
SELECT * FROM before_lo
UNION ALL
SELECT * FROM long_before_lo;

CREATE OR REPLACE TEMP TABLE route_gaps AS
SELECT *,
       lag(flight_date) OVER w AS previous_flight,
       lead(flight_date) OVER w AS next_flight
FROM route_days
WINDOW w AS (PARTITION BY carrier_icao, origin_icao, dest_icao ORDER BY flight_date);

-- the last day each airport has data: a route is judged up to the later of its two airports
CREATE OR REPLACE TEMP TABLE airport_last_day AS
SELECT airport_icao, max(flight_date) AS last_day
FROM airport_traffic_daily, route_window w
WHERE flights > 0 AND flight_date >= w.lo - 365
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE judged_gaps AS
SELECT g.carrier_icao, g.origin_icao, g.dest_icao, g.flight_date AS last_flight,
       g.next_flight,
       least(coalesce(g.next_flight - 1, DATE '9999-12-31'), g.flight_date + 90,
             greatest(o.last_day, d.last_day)) AS judged_until
FROM route_gaps g
CROSS JOIN route_window w
LEFT JOIN airport_last_day o ON o.airport_icao = g.origin_icao
LEFT JOIN airport_last_day d ON d.airport_icao = g.dest_icao
-- A gap that closed before the first touched day cannot change: its flights, its evidence
-- days and its judging bound all lie before that day (the airports of its closing flight have
-- data on that flight's day). So only the gaps still open on it are judged again.
WHERE g.next_flight IS NULL OR g.next_flight >= w.gap_from;

-- each gap's baseline: flights per weekday over the 28 days up to its last flight (only for
-- gaps with at least one day to judge: the others cannot be suspensions)
CREATE OR REPLACE TEMP TABLE gap_rates AS
WITH days AS (
    SELECT j.carrier_icao, j.origin_icao, j.dest_icao, j.last_flight,
           unnest(generate_series(greatest(j.last_flight - 27, w.data_start), j.last_flight,
                                  INTERVAL 1 DAY))::DATE AS day
    FROM judged_gaps j, route_window w
    WHERE j.judged_until > j.last_flight
)
SELECT d.carrier_icao, d.origin_icao, d.dest_icao, d.last_flight, isodow(d.day) AS weekday,
       avg(coalesce(r.flights, 0)) AS rate,
       sum(coalesce(r.flights, 0)) AS flights,
       count(*) AS days
FROM days d
LEFT JOIN route_daily r
  ON r.carrier_icao = d.carrier_icao AND r.origin_icao = d.origin_icao
 AND r.dest_icao = d.dest_icao AND r.flight_date = d.day
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE gap_baseline AS
SELECT carrier_icao, origin_icao, dest_icao, last_flight,
       sum(flights) AS baseline_flights,
       sum(flights) * 7.0 / sum(days) AS baseline_weekly_flights
FROM gap_rates GROUP BY ALL;

-- per airport and day: data was loaded, and whether it was a hole (far below its baseline)
CREATE OR REPLACE TEMP TABLE airport_evidence AS
SELECT t.airport_icao, t.flight_date,
       coalesce(t.baseline >= 10 AND t.flights < 0.2 * t.baseline, false) AS hole
FROM airport_traffic_daily t, route_window w
WHERE t.flight_date > w.lo - 365;

CREATE OR REPLACE TEMP TABLE gap_detection AS
WITH spine AS (
    SELECT j.*, unnest(generate_series(j.last_flight + 1, j.judged_until, INTERVAL 1 DAY))::DATE
           AS day
    FROM judged_gaps j
    JOIN gap_baseline b USING (carrier_icao, origin_icao, dest_icao, last_flight)
    WHERE b.baseline_flights >= 3 AND j.judged_until > j.last_flight
),
evidence AS (
    SELECT s.*,
           CASE WHEN (o.airport_icao IS NOT NULL OR d.airport_icao IS NOT NULL)
                 AND NOT coalesce(o.hole, false) AND NOT coalesce(d.hole, false)
                THEN coalesce(r.rate, 0) ELSE 0 END AS expected
    FROM spine s
    LEFT JOIN airport_evidence o ON o.airport_icao = s.origin_icao AND o.flight_date = s.day
    LEFT JOIN airport_evidence d ON d.airport_icao = s.dest_icao AND d.flight_date = s.day
    LEFT JOIN gap_rates r
      ON r.carrier_icao = s.carrier_icao AND r.origin_icao = s.origin_icao
     AND r.dest_icao = s.dest_icao AND r.last_flight = s.last_flight
     AND r.weekday = isodow(s.day)
),
cumulative AS (
    SELECT *, exp(-sum(expected) OVER (
               PARTITION BY carrier_icao, origin_icao, dest_icao, last_flight ORDER BY day))
               AS p_still_flying
    FROM evidence
)
SELECT carrier_icao, origin_icao, dest_icao, last_flight, any_value(next_flight) AS next_flight,
       min(day) AS detected_on, arg_min(p_still_flying, day) AS p_at_detection
FROM cumulative
WHERE p_still_flying <= 0.05
GROUP BY ALL;

DELETE FROM route_events e
USING (SELECT carrier_icao, origin_icao, dest_icao, min(last_flight) AS since
       FROM judged_gaps GROUP BY ALL) c
WHERE e.carrier_icao = c.carrier_icao AND e.origin_icao = c.origin_icao
  AND e.dest_icao = c.dest_icao
  AND coalesce(e.last_flight_date, e.event_date) >= c.since;

INSERT INTO route_events
SELECT d.carrier_icao, d.origin_icao, d.dest_icao, 'suspended', d.last_flight + 1,
       d.last_flight, d.detected_on, b.baseline_weekly_flights, 1 - d.p_at_detection
FROM gap_detection d
JOIN gap_baseline b USING (carrier_icao, origin_icao, dest_icao, last_flight)
UNION ALL
SELECT d.carrier_icao, d.origin_icao, d.dest_icao, 'resumed', d.next_flight,
       d.last_flight, d.next_flight, b.baseline_weekly_flights, 1.0
FROM gap_detection d
JOIN gap_baseline b USING (carrier_icao, origin_icao, dest_icao, last_flight)
WHERE d.next_flight IS NOT NULL
UNION ALL
SELECT g.carrier_icao, g.origin_icao, g.dest_icao, 'started', g.flight_date, NULL,
       g.next_flight, NULL, 1 - exp(-1)
FROM route_gaps g
JOIN (SELECT carrier_icao, origin_icao, dest_icao, min(last_flight) AS since
      FROM judged_gaps GROUP BY ALL) c USING (carrier_icao, origin_icao, dest_icao)
CROSS JOIN route_window w
WHERE g.flight_date >= c.since
  AND (g.previous_flight IS NULL OR g.flight_date - g.previous_flight > 365)
  AND g.flight_date - 28 >= w.data_start
  AND g.flight_date >= w.lo  -- a route first seen before the window started earlier
  AND g.next_flight - g.flight_date <= 13;
