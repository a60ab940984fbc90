-- service_shifts: where a carrier's service went when it left an airport.
--
-- A shift links a suspended route (route_events) to a route of the same carrier that keeps one
-- end and moves the other to an airport within 500 km of the one left, and that gained flights
-- as the suspension began. The rules (round numbers, none fitted to a data set):
--   left     the carrier left the airport, not only the route: its flights there (all routes)
--            in the 14 days from the suspension are under half of those of the 14 days before
--   near     the new airport is another airport within 500 km (great circle) of the one left
--   gained   the new route's weekly flights from the suspension on (7 to 14 days of data)
--            exceed those of the 14 days before by at least 2, by at least half of the lost
--            route's usual weekly flights and by at least a quarter of their own (a busy
--            route's usual swing is no shift)
--   lasting  the lost route did not resume within 14 days of its suspension
-- A shift can be known once a week of data follows the suspension (detected_on). The figures
-- use the data loaded so far: the windows fill in as nights arrive.
--
-- Incremental: a shift depends on its suspension and the route days of its 28-day window. So
-- the suspensions whose window holds a touched day are judged again, and those the route step
-- (sql/derive/040) detected from the first day it judged again (route_window.gap_from: a
-- suspension found late, or after a new act); nothing else can change. Each is last judged
-- once its window is complete (the night of its 14th day, or its detection), so night by
-- night equals one rebuild. The work is a few weeks of route days, never the history.

CREATE OR REPLACE TEMP TABLE shift_events AS
SELECT e.carrier_icao, e.origin_icao, e.dest_icao, e.event_date, e.last_flight_date,
       e.baseline_weekly_flights
FROM route_events e
WHERE e.event_type = 'suspended'
  AND (e.event_date >= (SELECT min(d) - 13 FROM touched_dates)
       OR e.detected_on >= (SELECT gap_from FROM route_window));

DELETE FROM service_shifts s  -- judged again below, or their suspension is gone
WHERE EXISTS (SELECT 1 FROM shift_events e
              WHERE e.carrier_icao = s.carrier_icao AND e.origin_icao = s.lost_origin_icao
                AND e.dest_icao = s.lost_dest_icao AND e.event_date = s.suspended_on)
   OR NOT EXISTS (SELECT 1 FROM route_events e
                  WHERE e.event_type = 'suspended' AND e.carrier_icao = s.carrier_icao
                    AND e.origin_icao = s.lost_origin_icao AND e.dest_icao = s.lost_dest_icao
                    AND e.event_date = s.suspended_on);

INSERT INTO service_shifts BY NAME
WITH data_end AS (  -- the last day: ORDER BY .. LIMIT 1 skips row groups, max() reads them all
    SELECT (SELECT flight_date FROM route_daily ORDER BY flight_date DESC LIMIT 1) AS last_day
),
lost AS (  -- each lasting suspension, once from each end: the end left and the end kept
    SELECT e.carrier_icao, e.origin_icao, e.dest_icao, e.event_date,
           e.baseline_weekly_flights, ends.moved_end,
           CASE ends.moved_end WHEN 'origin' THEN e.origin_icao ELSE e.dest_icao END AS left_icao,
           CASE ends.moved_end WHEN 'origin' THEN e.dest_icao ELSE e.origin_icao END AS kept_icao,
           least(d.last_day, e.event_date + 13) - e.event_date + 1 AS days_after
    FROM shift_events e
    CROSS JOIN (VALUES ('origin'), ('dest')) ends(moved_end)
    CROSS JOIN data_end d
    WHERE d.last_day >= e.event_date + 6
      AND NOT EXISTS (SELECT 1 FROM route_events r
                      WHERE r.event_type = 'resumed' AND r.carrier_icao = e.carrier_icao
                        AND r.origin_icao = e.origin_icao AND r.dest_icao = e.dest_icao
                        AND r.last_flight_date = e.last_flight_date
                        AND r.event_date < e.event_date + 14)
),
window_days AS (  -- only these days of route_daily are read
    SELECT DISTINCT CAST(unnest(generate_series(event_date - 14, event_date + 13,
                                                INTERVAL 1 DAY)) AS DATE) AS flight_date
    FROM lost
),
ends AS (  -- the airports whose flights are counted: each one left and each one kept
    SELECT DISTINCT carrier_icao, left_icao AS airport_icao FROM lost
    UNION
    SELECT DISTINCT carrier_icao, kept_icao FROM lost
),
legs AS (  -- the carriers' route-days at those airports in the windows, from each end (two
            -- scans of the few days, not a lateral join: that costs a year's database 0.05 s)
    WITH keys AS (  -- those routes by number (migration 025): the scan keeps only their days,
                    -- not every busy carrier's (a year's database: 0.03 s less)
        SELECT k.route_key FROM fdp_state.route_keys k
        SEMI JOIN ends e ON e.carrier_icao = k.carrier_icao AND e.airport_icao = k.origin_icao
        UNION
        SELECT k.route_key FROM fdp_state.route_keys k
        SEMI JOIN ends e ON e.carrier_icao = k.carrier_icao AND e.airport_icao = k.dest_icao
    ),
    days AS (SELECT carrier_icao, origin_icao, dest_icao, flight_date, flights
             FROM route_daily
             WHERE flight_date IN (SELECT flight_date FROM window_days)
               AND route_key IN (SELECT route_key FROM keys))
    SELECT r.carrier_icao, 'origin' AS end_at, r.origin_icao AS airport_icao,
           r.dest_icao AS other_icao, r.flight_date, r.flights
    FROM days r
    SEMI JOIN ends e ON e.carrier_icao = r.carrier_icao AND e.airport_icao = r.origin_icao
    UNION ALL
    SELECT r.carrier_icao, 'dest', r.dest_icao, r.origin_icao, r.flight_date, r.flights
    FROM days r
    SEMI JOIN ends e ON e.carrier_icao = r.carrier_icao AND e.airport_icao = r.dest_icao
),
carrier_left AS (  -- "left": the carrier's flights at the airport, 14 days before and after
    SELECT l.carrier_icao, l.origin_icao, l.dest_icao, l.event_date, l.moved_end
    FROM lost l
    JOIN legs g
      ON g.carrier_icao = l.carrier_icao AND g.airport_icao = l.left_icao
     AND g.flight_date BETWEEN l.event_date - 14 AND l.event_date + 13
    GROUP BY ALL
    HAVING coalesce(sum(g.flights) FILTER (WHERE g.flight_date >= l.event_date), 0)
               * 14.0 / any_value(l.days_after)
           < 0.5 * coalesce(sum(g.flights) FILTER (WHERE g.flight_date < l.event_date), 0)
),
candidates AS (  -- the carrier's routes that keep the kept end and use another airport instead
    SELECT l.*, g.other_icao AS new_icao,
           coalesce(sum(g.flights) FILTER (WHERE g.flight_date < l.event_date), 0) / 2.0
               AS weekly_before,
           coalesce(sum(g.flights) FILTER (WHERE g.flight_date >= l.event_date), 0) * 7.0
               / any_value(l.days_after) AS weekly_after
    FROM lost l
    SEMI JOIN carrier_left USING (carrier_icao, origin_icao, dest_icao, event_date, moved_end)
    JOIN legs g
      ON g.carrier_icao = l.carrier_icao AND g.airport_icao = l.kept_icao
     AND g.end_at <> l.moved_end AND g.other_icao <> l.left_icao
     AND g.flight_date BETWEEN l.event_date - 14 AND l.event_date + 13
    GROUP BY ALL
)
SELECT c.carrier_icao, c.origin_icao AS lost_origin_icao, c.dest_icao AS lost_dest_icao,
       c.event_date AS suspended_on, c.moved_end, c.left_icao AS left_airport_icao,
       c.new_icao AS new_airport_icao,
       round(great_circle_km(a.lat, a.lon, b.lat, b.lon)) AS distance_km,
       CASE c.moved_end WHEN 'origin' THEN c.new_icao ELSE c.kept_icao END AS new_origin_icao,
       CASE c.moved_end WHEN 'origin' THEN c.kept_icao ELSE c.new_icao END AS new_dest_icao,
       c.baseline_weekly_flights AS lost_weekly_flights,
       round(c.weekly_before, 1) AS new_weekly_before,
       round(c.weekly_after, 1) AS new_weekly_after,
       c.event_date + 6 AS detected_on
FROM candidates c
JOIN airports a ON a.airport_icao = c.left_icao
JOIN airports b ON b.airport_icao = c.new_icao
WHERE great_circle_km(a.lat, a.lon, b.lat, b.lon) <= 500
  AND c.weekly_after - c.weekly_before
      >= greatest(2, 0.5 * coalesce(c.baseline_weekly_flights, 0), 0.25 * c.weekly_before);
