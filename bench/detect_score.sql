-- Score the suspension alerts in the temp table `alerts` (carrier_icao, origin_icao, dest_icao,
-- last_flight_date, detected_on) against what the routes in route_daily really did, exactly as
-- issue #12 defines it:
--   * an alert is right when the route flew nothing for at least 7 days after its
--     last_flight_date L (no flight on L+1 .. L+7); one whose 7 days run past the data is
--     censored and left out;
--   * recall is over the gaps of more than 14 days that follow a last flight with at least 16
--     flights in the 28 days up to it (to the end of the data counts as a gap);
--   * latency is detected_on - L over the recalled gaps;
--   * a steady route flies in the first week and in the last week with no gap over 3 days; any
--     alert on it is false.
CREATE OR REPLACE TEMP TABLE score_days AS
SELECT min(flight_date) AS first_day, max(flight_date) AS last_day FROM route_daily;

CREATE OR REPLACE TEMP TABLE score_flight_days AS
SELECT carrier_icao, origin_icao, dest_icao, flight_date, flights,
       lead(flight_date) OVER route AS next_flight,
       sum(flights) OVER (route RANGE BETWEEN INTERVAL 27 DAY PRECEDING AND CURRENT ROW)
           AS flights_28d
FROM route_daily
WHERE flights > 0
WINDOW route AS (PARTITION BY carrier_icao, origin_icao, dest_icao ORDER BY flight_date);

CREATE OR REPLACE TEMP TABLE score_alerts AS
SELECT a.*, f.next_flight, f.flights_28d,
       CASE WHEN f.next_flight IS NULL AND s.last_day < a.last_flight_date + 7 THEN 'censored'
            WHEN coalesce(f.next_flight, DATE '9999-12-31') > a.last_flight_date + 7
                THEN 'right'
            ELSE 'wrong' END AS verdict,
       coalesce(f.next_flight, s.last_day + 1) - a.last_flight_date - 1 AS silent_days
FROM alerts a
CROSS JOIN score_days s
LEFT JOIN score_flight_days f
  ON f.carrier_icao = a.carrier_icao AND f.origin_icao = a.origin_icao
 AND f.dest_icao = a.dest_icao AND f.flight_date = a.last_flight_date;

CREATE OR REPLACE TEMP TABLE score_gaps AS
SELECT f.*, coalesce(f.next_flight, s.last_day + 1) - f.flight_date - 1 AS silent_days,
       a.detected_on
FROM score_flight_days f
CROSS JOIN score_days s
LEFT JOIN alerts a
  ON a.carrier_icao = f.carrier_icao AND a.origin_icao = f.origin_icao
 AND a.dest_icao = f.dest_icao AND a.last_flight_date = f.flight_date
WHERE coalesce(f.next_flight, s.last_day + 1) - f.flight_date - 1 > 14
  AND f.flights_28d >= 16
  AND f.flight_date - 27 >= s.first_day;  -- a whole 28-day window of data behind it

CREATE OR REPLACE TEMP TABLE score_steady AS
SELECT f.carrier_icao, f.origin_icao, f.dest_icao
FROM score_flight_days f, score_days s
GROUP BY f.carrier_icao, f.origin_icao, f.dest_icao, s.first_day, s.last_day
HAVING min(f.flight_date) < s.first_day + 7
   AND max(f.flight_date) > s.last_day - 7
   AND max(coalesce(f.next_flight, s.last_day + 1) - f.flight_date - 1) <= 3;

SELECT
    (SELECT count(*) FROM score_alerts WHERE verdict <> 'censored') AS alerts,
    (SELECT count(*) FROM score_alerts WHERE verdict = 'right') AS right_alerts,
    (SELECT count(*) FROM score_alerts WHERE verdict = 'censored') AS censored_alerts,
    (SELECT count(*) FROM score_gaps) AS real_stops,
    (SELECT count(*) FROM score_gaps WHERE detected_on IS NOT NULL) AS found_stops,
    (SELECT median(detected_on - flight_date) FROM score_gaps) AS median_latency,
    (SELECT quantile_cont(detected_on - flight_date, 0.9) FROM score_gaps) AS p90_latency,
    (SELECT count(*) FROM score_gaps WHERE detected_on - flight_date <= 4) AS found_within_4,
    (SELECT count(*) FROM score_steady) AS steady_routes,
    (SELECT count(*) FROM score_steady s SEMI JOIN alerts a
        USING (carrier_icao, origin_icao, dest_icao)) AS steady_alerted;
