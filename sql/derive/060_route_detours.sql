-- route_detours: lasting jumps in a route's flight time, against its own recent days.
--
-- Each route-day with timed flights has a median flight time m (route_daily). Its baseline B
-- is the median of m over the route's flight days in the 28 days before (at least 10 of them),
-- its spread S the interquartile range of those days / 1.349 (a standard deviation that one
-- stormy day does not move): route_daily's flight_minutes_baseline and flight_minutes_spread.
-- Its threshold T = max(10 minutes, 3% of B, 3 S) (detour_threshold, sql/views/070): winds
-- and holding move a route's daily time by a few S, a detour around a country by more.
-- A day is long when m - B >= T. The rules (round numbers, none fitted to a data set):
--   onset    a long day after a flight day that was not long (or after none in 28 days)
--   lasting  of the route's first 7 flight days from the onset (within 14 days), at least 5
--            are long against the onset's B and T (frozen: a baseline that followed the
--            detour would hide it), and the chance of that many long days is at most 1e-3,
--            where a day's chance of being long is the share of long days (against the same
--            B and T) in the baseline's 28 days, smoothed ((k + 0.5) / (n + 1)), and the
--            median of m - B over those days is at least max(15 minutes, 5% of B, 4 S): a
--            week or two of headwinds on a long route passes T on most days, but by less
--   once     an onset within 28 days after another lasting onset of the route is the same
--            detour seen again (its baseline holds the detour), not a new one
-- detected_on is the day of the 5th long day; minutes_added the median of m - B over the
-- judged days; confidence 1 - that chance. The detour ends (ended_on) on the first flight day
-- after detected_on that, with the route's next 2 flight days (within 14 days), is not long.
--
-- Incremental: a day's B and S depend on its route's 28 days before it, so the route-days
-- with a retimed day of their route among their 28 before get theirs anew, and the route-days
-- a touched day added (a night that reloads yesterday and loads today: today's; a late day:
-- also the 28 after it, on the routes whose time it changed). A
-- detour starting on d depends on the route's days d - 28 to d + 13 (its baseline and judged
-- days) and on the lasting onsets of the 28 days before d (once), its end on at most 14 days
-- after the end. So a night judges again the onsets from J = the first touched day - 13 on,
-- and the ends of the detours still on or ended from J on, reading the routes' days from
-- J - 28: weeks of route_daily with their stored baselines, never the history, and no window
-- over them. The lasting onsets before J are those of earlier nights, kept night to night
-- (fdp_state.lasting_onsets, migration 024): none of their days changed. Once a detour's
-- days are all loaded it is not judged again, so night by night equals one rebuild.

CREATE OR REPLACE TEMP TABLE detour_window AS  -- no day touched: windows after every day
SELECT first_day - 13 AS judged_from, first_day AS refresh_from
FROM (SELECT coalesce(min(d), DATE '9999-12-31') AS first_day FROM touched_dates);

-- Each route-day's baseline and spread are kept in route_daily: the route-days whose 28 days
-- before hold a day of their route whose time changed (020's retimed_route_days) get them anew,
-- and so do the route-days a touched day added (020 carried the others' over), so no night
-- recomputes a window it need not (a reload of a day weeks ago: only its changed routes').
-- Routes are joined by their number (route_key, migration 025), not their three codes.
CREATE OR REPLACE TEMP TABLE baseline_days AS
SELECT r.route_key, r.flight_date
FROM route_daily r
JOIN retimed_route_days c
  ON c.route_key = r.route_key
 AND r.flight_date BETWEEN c.flight_date + 1 AND c.flight_date + 28
WHERE r.timed_flights > 0
  AND r.flight_date IN (SELECT DISTINCT t.d + n::INTEGER FROM touched_dates t, range(1, 29) s(n))
UNION
SELECT route_key, flight_date
FROM route_daily r
ANTI JOIN carried_baselines k USING (route_key, flight_date)
WHERE r.timed_flights > 0 AND r.flight_date IN (SELECT d FROM touched_dates);

CREATE OR REPLACE TEMP TABLE refreshed_baselines AS
SELECT r.route_key, r.flight_date,
       count(h.flight_date) AS baseline_days,
       -- the quartiles in one aggregate: one sort of each route-day's days, not three
       quantile_cont(h.median_flight_minutes, [0.25, 0.5, 0.75]) AS quartiles
FROM baseline_days r
CROSS JOIN detour_window w
LEFT JOIN route_daily h
  ON h.route_key = r.route_key AND h.timed_flights > 0
 AND h.flight_date BETWEEN r.flight_date - 28 AND r.flight_date - 1
 AND h.flight_date >= w.refresh_from - 28
GROUP BY ALL;

UPDATE route_daily r
SET flight_minutes_baseline = CASE WHEN b.baseline_days >= 10 THEN b.quartiles[2] END,
    flight_minutes_spread = CASE WHEN b.baseline_days >= 10
                                 THEN (b.quartiles[3] - b.quartiles[1]) / 1.349 END
FROM refreshed_baselines b
WHERE r.route_key = b.route_key AND r.flight_date = b.flight_date;
INSERT INTO written_days SELECT DISTINCT 'route_daily', flight_date FROM refreshed_baselines;

CREATE OR REPLACE TEMP VIEW timed_days AS  -- read by the joins below, for few routes
SELECT r.route_key, r.carrier_icao, r.origin_icao, r.dest_icao, r.flight_date,
       r.median_flight_minutes AS minutes, r.flight_minutes_baseline AS baseline,
       r.flight_minutes_spread AS spread,
       detour_threshold(r.flight_minutes_baseline, r.flight_minutes_spread) AS threshold,
       coalesce(r.median_flight_minutes - r.flight_minutes_baseline
                >= detour_threshold(r.flight_minutes_baseline, r.flight_minutes_spread), false)
           AS long
FROM route_daily r, detour_window w
WHERE r.timed_flights > 0 AND r.flight_date >= w.judged_from - 28;

-- onsets: long days whose route's previous flight day (within 28 days) was not long
CREATE OR REPLACE TEMP TABLE detour_onsets AS
WITH long_days AS (
    SELECT t.* FROM timed_days t, detour_window w
    WHERE t.long AND t.flight_date >= w.judged_from
),
previous AS (  -- looked up for the long days only: a join, not a sort of every route-day
    SELECT d.route_key, d.flight_date, arg_max(p.long, p.flight_date) AS previous_long
    FROM long_days d
    JOIN timed_days p
      ON p.route_key = d.route_key
     AND p.flight_date BETWEEN d.flight_date - 28 AND d.flight_date - 1
    GROUP BY ALL
)
SELECT d.route_key, d.carrier_icao, d.origin_icao, d.dest_icao, d.flight_date AS started_on,
       d.baseline, d.spread, d.threshold
FROM long_days d
LEFT JOIN previous p USING (route_key, flight_date)
WHERE p.previous_long IS NOT TRUE;

CREATE OR REPLACE TEMP TABLE judged_onsets AS
WITH judged AS (  -- the first 7 flight days from the onset, within 14 days
    SELECT o.*, t.flight_date, t.minutes - o.baseline AS excess
    FROM detour_onsets o
    JOIN timed_days t USING (route_key)
    WHERE t.flight_date BETWEEN o.started_on AND o.started_on + 13
    QUALIFY row_number() OVER (PARTITION BY o.route_key, o.started_on
                               ORDER BY t.flight_date) <= 7
),
runs AS (
    SELECT route_key, carrier_icao, origin_icao, dest_icao, started_on,
           any_value(baseline) AS baseline, any_value(spread) AS spread,
           any_value(threshold) AS threshold,
           count(*) AS judged_days,
           count(*) FILTER (WHERE excess >= threshold) AS long_days,
           list_sort(list(flight_date) FILTER (WHERE excess >= threshold))[5] AS detected_on,
           median(excess) AS minutes_added
    FROM judged
    GROUP BY route_key, carrier_icao, origin_icao, dest_icao, started_on
    HAVING count(*) FILTER (WHERE excess >= threshold) >= 5
),
chances AS (  -- how often the baseline's own days were long against the same bar
    SELECT r.route_key, r.started_on,
           (count(*) FILTER (WHERE t.minutes - r.baseline >= r.threshold) + 0.5)
               / (count(*) + 1) AS p
    FROM runs r
    JOIN timed_days t USING (route_key)
    WHERE t.flight_date BETWEEN r.started_on - 28 AND r.started_on - 1
    GROUP BY ALL
)
SELECT r.*, binomial_tail(r.judged_days, r.long_days, c.p) AS chance,
       binomial_tail(r.judged_days, r.long_days, c.p) <= 1e-3
       AND r.minutes_added >= greatest(15, 0.05 * r.baseline, 4 * r.spread) AS lasting
FROM runs r
JOIN chances c USING (route_key, started_on);

-- the lasting onsets (reported or not) for the nights after: "once" reads those before J
DELETE FROM fdp_state.lasting_onsets
WHERE started_on >= (SELECT judged_from FROM detour_window);
INSERT INTO fdp_state.lasting_onsets
SELECT carrier_icao, origin_icao, dest_icao, started_on FROM judged_onsets WHERE lasting;

DELETE FROM route_detours WHERE started_on >= (SELECT judged_from FROM detour_window);

INSERT INTO route_detours BY NAME
SELECT carrier_icao, origin_icao, dest_icao, started_on, detected_on,
       round(baseline, 1) AS baseline_minutes, round(threshold, 1) AS threshold_minutes,
       round(minutes_added, 1) AS minutes_added, judged_days, long_days,
       1 - chance AS confidence
FROM judged_onsets l
WHERE l.lasting
  AND NOT EXISTS (SELECT 1 FROM fdp_state.lasting_onsets e
                  WHERE e.carrier_icao = l.carrier_icao AND e.origin_icao = l.origin_icao
                    AND e.dest_icao = l.dest_icao
                    AND e.started_on BETWEEN l.started_on - 28 AND l.started_on - 1);

-- Ends, for the detours still on or ended from J on: against the detour's own B and T. A day
-- before J - 13 cannot be a new end: it and the 13 days after it were known last night, when
-- it was no end (these detours were still on at J, or begin later). So only the days from
-- J - 13 are read, not every day since an old detour began.
UPDATE route_detours d SET ended_on = e.ended_on
FROM (
    WITH open_detours AS (
        SELECT d.* FROM route_detours d, detour_window w
        WHERE d.ended_on IS NULL OR d.ended_on >= w.judged_from
           OR d.started_on >= w.judged_from
    ),
    after AS (
        SELECT o.carrier_icao, o.origin_icao, o.dest_icao, o.started_on, r.flight_date,
               r.median_flight_minutes - o.baseline_minutes < o.threshold_minutes AS back
        FROM open_detours o
        JOIN fdp_state.route_keys k USING (carrier_icao, origin_icao, dest_icao)
        JOIN route_daily r ON r.route_key = k.route_key  -- an integer, not three strings
        CROSS JOIN detour_window w
        WHERE r.timed_flights > 0 AND r.flight_date > o.detected_on
          AND r.flight_date >= w.judged_from - 13
    ),
    runs AS (
        SELECT *,
               lead(back, 1) OVER route AS back_1, lead(back, 2) OVER route AS back_2,
               lead(flight_date, 2) OVER route AS third_day
        FROM after
        WINDOW route AS (PARTITION BY carrier_icao, origin_icao, dest_icao, started_on
                         ORDER BY flight_date)
    )
    SELECT o.carrier_icao, o.origin_icao, o.dest_icao, o.started_on,
           min(r.flight_date) FILTER (WHERE r.back AND r.back_1 AND r.back_2
                                        AND r.third_day <= r.flight_date + 13) AS ended_on
    FROM open_detours o
    LEFT JOIN runs r USING (carrier_icao, origin_icao, dest_icao, started_on)
    GROUP BY ALL
) e
WHERE d.carrier_icao = e.carrier_icao AND d.origin_icao = e.origin_icao
  AND d.dest_icao = e.dest_icao AND d.started_on = e.started_on;
