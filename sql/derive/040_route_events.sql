-- route_events: started, suspended and resumed, judged against each route's own schedule and
-- history, and the official acts known by each day.
--
-- Suspended. After a route's last flight L, each following day g is evidence of a stop only if
-- data was loaded that day, neither airport had a data hole (its whole traffic far below its
-- baseline: a coverage gap or a closure, not this route's decision), and the route had no
-- cancelled flight that day (a cancelled flight means the route is still scheduled: a storm,
-- not a decision). On an evidence day, the chance that a route still flying shows no flight is
-- its own: the share of that weekday's evidence days without a flight over the 8 weeks up to
-- L, smoothed ((days without + 0.5) / (days + 1): never 0, and 0.5 / 9 for a route that flew
-- every such day). P, the product over the evidence days so far, is the chance of a silence
-- this long if the route still flies. (The two directions of a service are not pooled: they
-- pause together, for the same reasons, so their silences are not independent evidence.)
-- The suspension is detected on the first day g on which either:
--   * P <= 1e-4, g is at least 4 days after L, and the silence is longer than any the route
--     came back from in the 13 weeks up to L (at most 7 days are asked for); or
--   * an act known by g (announced_date, else effective_date) names the carrier in the
--     country of either airport (revoked, suspended, banned, restricted; or the airline's own
--     voluntary_suspension, for a route to or from that country), taking effect from 14 days
--     before L to 7 days after g, and the route has missed at least a day it usually flies
--     (P <= 0.5): the act is the evidence; or
--   * a country-wide act (no carrier: suspended, banned) likewise, for a route to or from
--     that country, with P <= 0.25 and at least 2 days after L.
-- Its confidence is 1 - P, its event_date L + 1. Routes with fewer than 3 flights in the 28
-- days up to L are not judged.
-- Resumed. The first flight after a detected suspension.
-- Started. A flight on a route with none in the 365 days before (and data for at least
-- 28 of them), confirmed by a second flight within 14 days (detected on that day).
--
-- Incremental: only routes that flew in the 120 days before the first touched day, and only
-- their gaps still open on that day, are recomputed. A changed act touches the day a week
-- before it takes effect (sql/load/permit_actions), so the gaps it can support are judged again.

CREATE TEMP TABLE IF NOT EXISTS acts_changed_from (d DATE);  -- sql/load/permit_actions

CREATE OR REPLACE TEMP TABLE route_window AS
WITH since AS (
    SELECT least((SELECT min(d) FROM touched_dates), (SELECT min(d) FROM acts_changed_from))
        AS d
)
SELECT d - 120 AS lo, d AS gap_from,
       -- the first day, by ORDER BY .. LIMIT 1: DuckDB finds it from the row groups' min and
       -- max (1 ms), where min() reads the whole column (18 ms a night at a year)
       (SELECT flight_date FROM route_daily ORDER BY flight_date LIMIT 1) AS data_start
FROM since;

-- Flight days of the routes that flew since lo from gap_from on, and each one's last two before
-- it (within a year): the gaps still open on gap_from start at the last, and whether that one
-- started the route depends on the one before. Each route's last flight days are kept night to
-- night (fdp_state.route_last_flights, sql/derive/035); only a route whose kept days are all
-- from gap_from on (a night that rewrites an older day) is looked up further back. So a night
-- reads the days it judges, not weeks or a year of route_daily.
CREATE OR REPLACE TEMP TABLE recent_routes AS
WITH kept AS (
    SELECT s.carrier_icao, s.origin_icao, s.dest_icao, s.days[1] AS last_day,
           list_filter(s.days, lambda x: x < w.gap_from AND x >= w.lo - 365)[1:2] AS last_two,
           NOT s.complete AND list_min(s.days) >= w.lo - 365 AS may_have_older
    FROM fdp_state.route_last_flights s, route_window w
    WHERE s.days[1] >= w.lo
)
-- look_up: fewer than two kept days before gap_from, and older days not kept
SELECT *, len(last_two) < 2 AND may_have_older AS look_up FROM kept;

CREATE OR REPLACE TEMP TABLE route_days AS
WITH to_look_up AS (
    SELECT carrier_icao, origin_icao, dest_icao FROM recent_routes WHERE look_up
),
looked_up_near AS (  -- the four weeks before gap_from first: most routes' last two are there
    SELECT r.carrier_icao, r.origin_icao, r.dest_icao, max(r.flight_date, 2) AS days
    FROM route_daily r
    SEMI JOIN to_look_up a USING (carrier_icao, origin_icao, dest_icao)
    CROSS JOIN route_window w
    WHERE r.flights > 0 AND r.flight_date >= w.gap_from - 28 AND r.flight_date < w.gap_from
    GROUP BY ALL
    HAVING count(*) >= 2
),
looked_up AS (  -- and the year before it for the others only
    SELECT * FROM looked_up_near
    UNION ALL
    SELECT r.carrier_icao, r.origin_icao, r.dest_icao, max(r.flight_date, 2) AS days
    FROM route_daily r
    SEMI JOIN (SELECT * FROM to_look_up ANTI JOIN looked_up_near
               USING (carrier_icao, origin_icao, dest_icao)) a
      USING (carrier_icao, origin_icao, dest_icao)
    CROSS JOIN route_window w
    WHERE r.flights > 0 AND r.flight_date >= w.lo - 365 AND r.flight_date < w.gap_from
    GROUP BY ALL
),
last_two_before_from AS (
    SELECT carrier_icao, origin_icao, dest_icao, unnest(last_two) AS flight_date
    FROM recent_routes
    WHERE NOT look_up
    UNION ALL  -- the few looked up: their last two of the kept days and the days found again
    SELECT * FROM (
        SELECT carrier_icao, origin_icao, dest_icao, unnest(last_two) AS flight_date
        FROM recent_routes
        WHERE look_up
        UNION
        SELECT carrier_icao, origin_icao, dest_icao, unnest(days) FROM looked_up
    )
    QUALIFY row_number() OVER (PARTITION BY carrier_icao, origin_icao, dest_icao
                               ORDER BY flight_date DESC) <= 2
)
SELECT r.carrier_icao, r.origin_icao, r.dest_icao, r.flight_date
FROM route_daily r, route_window w
WHERE r.flights > 0 AND r.flight_date >= w.gap_from
UNION ALL
SELECT * FROM last_two_before_from;

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
WITH gaps AS (
    SELECT g.carrier_icao, g.origin_icao, g.dest_icao, g.flight_date AS last_flight,
           g.next_flight,
           least(coalesce(g.next_flight - 1, DATE '9999-12-31'), g.flight_date + 90,
                 greatest(o.last_day, d.last_day)) AS judged_until
    FROM route_gaps g
    CROSS JOIN route_window w
    LEFT JOIN airport_last_day o ON o.airport_icao = g.origin_icao
    LEFT JOIN airport_last_day d ON d.airport_icao = g.dest_icao
    -- A gap that closed before the first touched day cannot change: its flights, its evidence
    -- days and its judging bound all lie before that day (the airports of its closing flight
    -- have data on that flight's day). So only the gaps still open on it are judged again.
    WHERE g.next_flight IS NULL OR g.next_flight >= w.gap_from
),
detected_before AS (  -- the suspensions detected before that day (a join, not a subquery a gap)
    SELECT DISTINCT e.carrier_icao, e.origin_icao, e.dest_icao, e.last_flight_date AS last_flight
    FROM route_events e, route_window w
    WHERE e.event_type = 'suspended' AND e.detected_on < w.gap_from
)
SELECT g.* FROM gaps g
CROSS JOIN route_window w
LEFT JOIN detected_before d USING (carrier_icao, origin_icao, dest_icao, last_flight)
-- Nor can a gap still open whose judged days all lie before that day, or that was detected
-- before it (its detection day is the first of its days with evidence, and those days did not
-- change): a route that stopped weeks ago is not judged again every night, only when it flies.
WHERE NOT (g.next_flight IS NULL
           AND (g.judged_until < w.gap_from OR d.last_flight IS NOT NULL));

-- Evidence days: days with data loaded (any airport has a traffic row), less each airport's
-- holes (its whole traffic under a fifth of a baseline of at least 10: a coverage gap or a
-- closure, not a route's decision). The data days are numbered per weekday, so that how many a
-- window holds is a difference of two numbers, not a count over days.
CREATE OR REPLACE TEMP TABLE data_days AS
SELECT day, isodow(day) AS weekday,
       row_number() OVER (PARTITION BY isodow(day) ORDER BY day) AS nth
FROM (SELECT DISTINCT t.flight_date AS day
      FROM airport_traffic_daily t, route_window w
      WHERE t.flight_date > w.lo - 365 - 91);

CREATE OR REPLACE TEMP TABLE airport_holes AS
SELECT t.airport_icao, t.flight_date AS day
FROM airport_traffic_daily t, route_window w
WHERE t.flight_date > w.lo - 365 - 91 AND t.baseline >= 10 AND t.flights < 0.2 * t.baseline;

-- per gap: from which day an act supports a stop (see the rules above): one naming the carrier,
-- or one for the whole country, in the country of either airport
CREATE OR REPLACE TEMP TABLE gap_acts AS
SELECT j.carrier_icao, j.origin_icao, j.dest_icao, j.last_flight,
       min(greatest(coalesce(a.announced_date, a.effective_date), a.effective_date - 7))
           FILTER (WHERE a.carrier_icao IS NOT NULL) AS carrier_act_from,
       min(greatest(coalesce(a.announced_date, a.effective_date), a.effective_date - 7))
           FILTER (WHERE a.carrier_icao IS NULL) AS country_act_from
FROM judged_gaps j
JOIN airports o ON o.airport_icao = j.origin_icao
JOIN airports d ON d.airport_icao = j.dest_icao
JOIN permit_actions a
  ON a.jurisdiction_country IN (o.country, d.country)
 AND a.effective_date >= j.last_flight - 14
 AND coalesce(a.end_date, DATE '9999-12-31') > j.last_flight
 AND ((a.carrier_icao = j.carrier_icao
       AND (a.action IN ('revoked', 'suspended', 'banned', 'restricted')
            -- an airline's own suspension concerns its service to or from the country
            OR (a.action = 'voluntary_suspension' AND o.country <> d.country)))
      -- a country-wide act concerns flights to or from the country (a border closure, a
      -- ban on a neighbour's flights), not its domestic flights, nor its airspace rules
      OR (a.carrier_icao IS NULL AND a.carrier_name IS NULL
          AND a.action IN ('suspended', 'banned') AND o.country <> d.country))
WHERE j.judged_until > j.last_flight
GROUP BY ALL;

-- the gaps that can become a suspension (at least a day to judge, and either the 4 silent days
-- the silence rule asks for or an act that may support a stop; the others, most of a night's
-- gaps, cannot), and their routes' days with flights or cancellations in the 13 weeks up to L
CREATE OR REPLACE TEMP TABLE open_gaps AS
SELECT j.*, k.route_key, greatest(j.last_flight - 90, w.data_start) AS history_from
FROM judged_gaps j
JOIN fdp_state.route_keys k USING (carrier_icao, origin_icao, dest_icao)  -- migration 025
CROSS JOIN route_window w
LEFT JOIN gap_acts a USING (carrier_icao, origin_icao, dest_icao, last_flight)
WHERE j.judged_until > j.last_flight
  AND (j.judged_until - j.last_flight >= 4
       OR j.judged_until >= least(a.carrier_act_from, a.country_act_from));

CREATE OR REPLACE TEMP TABLE gap_history AS
SELECT g.carrier_icao, g.origin_icao, g.dest_icao, g.last_flight, r.flight_date AS day,
       r.flights, r.cancelled,
       NOT EXISTS (SELECT 1 FROM airport_holes h
                   WHERE h.airport_icao IN (g.origin_icao, g.dest_icao)
                     AND h.day = r.flight_date) AS evidence
FROM open_gaps g
JOIN route_daily r
  ON r.route_key = g.route_key AND r.flight_date BETWEEN g.history_from AND g.last_flight
WHERE r.flights > 0 OR r.cancelled > 0;

-- the chance of a day without a flight, per gap and weekday, over the 8 weeks up to L: the
-- evidence days of that weekday in the window, and how many of them the route flew (or had a
-- flight cancelled)
CREATE OR REPLACE TEMP TABLE gap_weekdays AS
WITH windows AS (
    SELECT g.carrier_icao, g.origin_icao, g.dest_icao, g.last_flight, w.weekday,
           greatest(g.last_flight - 55, g.history_from) AS window_from
    FROM open_gaps g, (SELECT unnest(range(1, 8)) AS weekday) w
),
counted AS (
    SELECT w.*, coalesce(last_in.nth, 0) - coalesce(before.nth, 0) AS data_days
    FROM windows w
    ASOF LEFT JOIN data_days last_in
      ON last_in.weekday = w.weekday AND last_in.day <= w.last_flight
    ASOF LEFT JOIN data_days before
      ON before.weekday = w.weekday AND before.day < w.window_from
),
holes AS (
    SELECT g.carrier_icao, g.origin_icao, g.dest_icao, g.last_flight, isodow(h.day) AS weekday,
           count(DISTINCT h.day) AS hole_days
    FROM open_gaps g
    JOIN airport_holes h
      ON h.airport_icao IN (g.origin_icao, g.dest_icao)
     AND h.day BETWEEN greatest(g.last_flight - 55, g.history_from) AND g.last_flight
    GROUP BY ALL
),
flown AS (
    SELECT carrier_icao, origin_icao, dest_icao, last_flight, isodow(day) AS weekday,
           count(*) AS flown_days
    FROM gap_history
    WHERE evidence AND day > last_flight - 56
    GROUP BY ALL
)
SELECT c.carrier_icao, c.origin_icao, c.dest_icao, c.last_flight, c.weekday,
       (c.data_days - coalesce(h.hole_days, 0) - coalesce(f.flown_days, 0) + 0.5)
           / (c.data_days - coalesce(h.hole_days, 0) + 1.0) AS silent_share
FROM counted c
LEFT JOIN holes h USING (carrier_icao, origin_icao, dest_icao, last_flight, weekday)
LEFT JOIN flown f USING (carrier_icao, origin_icao, dest_icao, last_flight, weekday)
WHERE c.data_days - coalesce(h.hole_days, 0) > 0;

-- per gap: its baseline (flights in the 28 days up to L) and the longest silence the route came
-- back from in the 13 weeks up to L (counted from the window's start if it first flew later)
CREATE OR REPLACE TEMP TABLE gap_baseline AS
WITH flown AS (
    SELECT carrier_icao, origin_icao, dest_icao, last_flight, day, flights,
           day - lag(day) OVER (PARTITION BY carrier_icao, origin_icao, dest_icao, last_flight
                                ORDER BY day) - 1 AS silence_before
    FROM gap_history WHERE flights > 0
)
SELECT g.carrier_icao, g.origin_icao, g.dest_icao, g.last_flight, g.route_key,
       coalesce(sum(f.flights) FILTER (WHERE f.day > g.last_flight - 28), 0)
           AS baseline_flights,
       coalesce(sum(f.flights) FILTER (WHERE f.day > g.last_flight - 28), 0) * 7.0
           / (g.last_flight - greatest(g.last_flight - 27, any_value(w.data_start)) + 1)
           AS baseline_weekly_flights,
       greatest(coalesce(max(f.silence_before), 0), min(f.day) - g.history_from)
           AS longest_past_silence
FROM open_gaps g
JOIN flown f USING (carrier_icao, origin_icao, dest_icao, last_flight)
CROSS JOIN route_window w
GROUP BY g.carrier_icao, g.origin_icao, g.dest_icao, g.last_flight, g.route_key,
         g.history_from;

-- each judged day of each gap: log P so far
CREATE OR REPLACE TEMP TABLE gap_days AS
WITH spine AS (
    SELECT j.*, b.route_key, b.longest_past_silence,
           unnest(generate_series(j.last_flight + 1, j.judged_until, INTERVAL 1 DAY))::DATE
               AS day
    FROM judged_gaps j
    JOIN gap_baseline b USING (carrier_icao, origin_icao, dest_icao, last_flight)
    WHERE b.baseline_flights >= 3 AND j.judged_until > j.last_flight
),
evidence AS (
    SELECT s.*,
           CASE WHEN s.day IN (SELECT day FROM data_days)
                 AND NOT EXISTS (SELECT 1 FROM airport_holes h
                                 WHERE h.airport_icao IN (s.origin_icao, s.dest_icao)
                                   AND h.day = s.day)
                 AND coalesce(r.cancelled, 0) = 0
                THEN ln(coalesce(w.silent_share, 1)) ELSE 0 END AS log_p_day
    FROM spine s
    LEFT JOIN (SELECT route_key, flight_date, cancelled FROM route_daily WHERE cancelled > 0) r
      ON r.route_key = s.route_key AND r.flight_date = s.day
    LEFT JOIN gap_weekdays w
      ON w.carrier_icao = s.carrier_icao AND w.origin_icao = s.origin_icao
     AND w.dest_icao = s.dest_icao AND w.last_flight = s.last_flight
     AND w.weekday = isodow(s.day)
)
SELECT *, sum(log_p_day) OVER (PARTITION BY carrier_icao, origin_icao, dest_icao, last_flight
                               ORDER BY day) AS log_p
FROM evidence;

CREATE OR REPLACE TEMP TABLE gap_detection AS
WITH decided AS (
    SELECT g.*,
           CASE WHEN g.day >= a.carrier_act_from AND g.log_p <= ln(0.5) THEN 'carrier act'
                WHEN g.day >= a.country_act_from AND g.log_p <= ln(0.25)
                     AND g.day - g.last_flight >= 2 THEN 'country act'
                WHEN g.log_p <= ln(1e-4) AND g.day - g.last_flight >= 4
                     AND g.day - g.last_flight >= least(g.longest_past_silence + 1, 7)
                    THEN 'silence'
           END AS evidence
    FROM gap_days g
    LEFT JOIN gap_acts a USING (carrier_icao, origin_icao, dest_icao, last_flight)
)
SELECT carrier_icao, origin_icao, dest_icao, last_flight, any_value(next_flight) AS next_flight,
       min(day) AS detected_on, arg_min(exp(log_p), day) AS p_at_detection,
       arg_min(evidence, day) AS evidence
FROM decided
WHERE evidence IS NOT NULL
GROUP BY ALL;

DELETE FROM route_events e
USING (SELECT carrier_icao, origin_icao, dest_icao, min(last_flight) AS since
       FROM judged_gaps GROUP BY ALL) c
WHERE e.carrier_icao = c.carrier_icao AND e.origin_icao = c.origin_icao
  AND e.dest_icao = c.dest_icao
  AND coalesce(e.last_flight_date, e.event_date) >= c.since;

INSERT INTO route_events BY NAME
SELECT d.carrier_icao, d.origin_icao, d.dest_icao, 'suspended' AS event_type,
       d.last_flight + 1 AS event_date, d.last_flight AS last_flight_date, d.detected_on,
       b.baseline_weekly_flights, 1 - d.p_at_detection AS confidence, d.evidence
FROM gap_detection d
JOIN gap_baseline b USING (carrier_icao, origin_icao, dest_icao, last_flight)
UNION ALL BY NAME
SELECT d.carrier_icao, d.origin_icao, d.dest_icao, 'resumed' AS event_type,
       d.next_flight AS event_date, d.last_flight AS last_flight_date,
       d.next_flight AS detected_on, b.baseline_weekly_flights, 1.0 AS confidence,
       NULL AS evidence
FROM gap_detection d
JOIN gap_baseline b USING (carrier_icao, origin_icao, dest_icao, last_flight)
WHERE d.next_flight IS NOT NULL
UNION ALL BY NAME
SELECT g.carrier_icao, g.origin_icao, g.dest_icao, 'started' AS event_type,
       g.flight_date AS event_date, NULL AS last_flight_date, g.next_flight AS detected_on,
       NULL AS baseline_weekly_flights, 1 - exp(-1) AS confidence, NULL AS evidence
FROM route_gaps g
JOIN (SELECT carrier_icao, origin_icao, dest_icao, min(last_flight) AS since
      FROM judged_gaps GROUP BY ALL) c USING (carrier_icao, origin_icao, dest_icao)
CROSS JOIN route_window w
WHERE g.flight_date >= c.since
  AND (g.previous_flight IS NULL OR g.flight_date - g.previous_flight > 365)
  AND g.flight_date - 28 >= w.data_start
  AND g.flight_date >= w.lo  -- a route first seen before the window started earlier
  AND g.next_flight - g.flight_date <= 13;

DELETE FROM acts_changed_from;
