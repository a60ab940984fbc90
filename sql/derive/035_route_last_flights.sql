-- fdp_state.route_last_flights: each route's last flight days (at most 8, newest first; each
-- list holds every flight day of the route from its oldest on), brought up to date for the
-- routes that flew on a touched day or whose list holds one. A route's new list merges the
-- days it kept (not touched) with its flight days on the touched days, down to the older of
-- the two lists' floors: below a list's oldest day, when it was cut at 8, days may be missing.
-- A route left with no day it is sure of is looked up again in route_daily (rare: a rewrite
-- that took away all its known flights).
CREATE OR REPLACE TEMP TABLE touched_route_flights AS
SELECT carrier_icao, origin_icao, dest_icao, max(flight_date, 8) AS days,
       count(*) <= 8 AS complete
FROM route_daily
WHERE flights > 0 AND flight_date IN (SELECT d FROM touched_dates)
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE merged_route_flights AS
WITH touched AS (SELECT coalesce(list(d), []) AS days FROM touched_dates),
changed AS (
    SELECT carrier_icao, origin_icao, dest_icao
    FROM fdp_state.route_last_flights s, touched t
    WHERE list_has_any(s.days, t.days)
    UNION
    SELECT carrier_icao, origin_icao, dest_icao FROM touched_route_flights
),
parts AS (
    SELECT c.*,
           coalesce(list_filter(s.days, lambda x: NOT list_contains(t.days, x)), []) AS kept,
           coalesce(n.days, []) AS added,
           -- below the floor of a list cut at 8, the route may have days the list lacks
           greatest(CASE WHEN NOT s.complete THEN list_min(s.days) END,
                    CASE WHEN NOT n.complete THEN list_min(n.days) END) AS floor
    FROM changed c
    CROSS JOIN touched t
    LEFT JOIN fdp_state.route_last_flights s USING (carrier_icao, origin_icao, dest_icao)
    LEFT JOIN touched_route_flights n USING (carrier_icao, origin_icao, dest_icao)
),
merged AS (
    SELECT carrier_icao, origin_icao, dest_icao, floor,
           list_sort(list_filter(kept || added, lambda x: floor IS NULL OR x >= floor),
                     'DESC') AS days
    FROM parts
)
SELECT carrier_icao, origin_icao, dest_icao, days[1:8] AS days,
       floor IS NULL AND len(days) <= 8 AS complete
FROM merged;

DELETE FROM fdp_state.route_last_flights s
USING merged_route_flights m
WHERE s.carrier_icao = m.carrier_icao AND s.origin_icao = m.origin_icao
  AND s.dest_icao = m.dest_icao;

INSERT INTO fdp_state.route_last_flights
SELECT * FROM merged_route_flights WHERE len(days) > 0
UNION ALL
SELECT r.carrier_icao, r.origin_icao, r.dest_icao, max(r.flight_date, 8), count(*) <= 8
FROM route_daily r
SEMI JOIN (SELECT * FROM merged_route_flights WHERE len(days) = 0 AND NOT complete) m
  ON m.carrier_icao = r.carrier_icao AND m.origin_icao = r.origin_icao
 AND m.dest_icao = r.dest_icao
WHERE r.flights > 0
GROUP BY ALL;
