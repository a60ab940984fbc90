-- Detours: flight times against their own baseline (sql/derive/060), where the routes fly
-- over, and what was in force there.

-- How much longer than its baseline a route-day must be to count as long (sql/derive/060):
-- 10 minutes, 3% of the baseline and 3 spreads, whichever is most. NULL without a baseline.
CREATE OR REPLACE MACRO detour_threshold(baseline, spread) AS
    greatest(10, 0.03 * baseline, 3 * spread);

-- The chance of at least k successes in n independent trials of chance p (n small).
CREATE OR REPLACE MACRO binomial_tail(n, k, p) AS
    list_sum([factorial(CAST(n AS INTEGER))
              / (factorial(CAST(i AS INTEGER)) * factorial(CAST(n - i AS INTEGER)))
              * pow(p, i) * pow(1 - p, n - i)
              FOR i IN range(k, n + 1)]);

-- The country of each ICAO area (icao_area, sql/views/050): the one most of its airports are
-- in, e.g. SV -> VE. A NOTAM's FIR is matched to the countries a route crosses through it.
CREATE OR REPLACE VIEW icao_area_countries AS
SELECT icao_area(airport_icao) AS icao_area, mode(country) AS country
FROM airports
WHERE regexp_full_match(airport_icao, '[A-Z]{4}') AND country IS NOT NULL
GROUP BY ALL;

-- Why routes flew longer: each detour's possible causes, ranked, as known on day d. A cause is
-- something in force over a country the route's great circle crosses (route_crossings), not
-- proof that the route went round it. Kinds, in rank order:
--   airspace_act     an airspace act of the registry (prohibited_airspace, advisory_airspace)
--                    for a crossed country, taking effect from 30 days before the detour to
--                    7 days after it began, and not ended before it began;
--   airspace_notice  a NOTAM (advisory, prohibition, closure) over a crossed country's FIRs,
--                    in force from 7 days after the detour began or earlier, not ended before;
--   none_found       neither.
-- Within a kind, what was in force when the detour began comes before what came after, then
-- the longest stretch of the route over the country, then the nearest in time. known_on as in route_event_causes_known: an act's announced_date, else its
-- effective_date; a notice's issue, or the night the pipeline first saw it if later.
CREATE OR REPLACE MACRO route_detour_causes_known(d) AS TABLE
WITH detours AS (
    SELECT * FROM route_detours WHERE detected_on <= CAST(d AS DATE)
),
crossed AS (
    SELECT t.carrier_icao, t.origin_icao, t.dest_icao, t.started_on, t.detected_on,
           c.country, c.km_over
    FROM detours t
    JOIN route_crossings c USING (origin_icao, dest_icao)
),
acts AS (
    SELECT x.*, 'airspace_act' AS cause_type, p.action_id AS cause_id,
           p.effective_date AS cause_date,
           coalesce(p.announced_date, p.effective_date) AS known_on,
           format('{} {} the airspace of {} from {}; the route flies {:.0f} km over it',
                  p.authority,
                  CASE p.action WHEN 'prohibited_airspace' THEN 'prohibited flights in'
                                ELSE 'warned about' END,
                  p.jurisdiction_country, strftime(p.effective_date, '%-d %b %Y'),
                  x.km_over) AS what
    FROM crossed x
    JOIN permit_actions p ON p.jurisdiction_country = x.country
    WHERE p.action IN ('prohibited_airspace', 'advisory_airspace')
      AND p.effective_date BETWEEN x.started_on - 30 AND x.started_on + 7
      AND coalesce(p.end_date, DATE '9999-12-31') > x.started_on
),
notices AS (
    SELECT x.*, 'airspace_notice' AS cause_type, n.notice_id AS cause_id,
           CAST(n.effective_start AS DATE) AS cause_date,
           greatest(CAST(least(coalesce(n.issued, n.effective_start), n.effective_start)
                         AS DATE),
                    TRY_CAST(left(n.first_seen_partition, 10) AS DATE)) AS known_on,
           format('NOTAM {} ({} over {}, {}) in force from {}; the route flies {:.0f} km over '
                  || '{}', n.notice_id, n.category, n.fir, x.country,
                  strftime(n.effective_start, '%-d %b %Y'), x.km_over, x.country) AS what
    FROM crossed x
    JOIN icao_area_countries a ON a.country = x.country
    JOIN airspace_notices n ON icao_area(n.fir) = a.icao_area
    WHERE n.notam_type IS DISTINCT FROM 'C'
      AND n.category IN ('advisory', 'prohibition', 'closure')
      AND n.effective_start < x.started_on + 8
      AND coalesce(least(n.effective_end, n.ended_at), TIMESTAMP '9999-12-31')
          >= x.started_on
),
known AS (
    SELECT * FROM acts WHERE known_on <= CAST(d AS DATE)
    UNION ALL BY NAME
    SELECT * FROM notices WHERE known_on <= CAST(d AS DATE)
),
ranked AS (
    SELECT *,
           row_number() OVER (
               PARTITION BY carrier_icao, origin_icao, dest_icao, started_on
               ORDER BY list_position(['airspace_act', 'airspace_notice'], cause_type),
                        cause_date > started_on, km_over DESC, abs(cause_date - started_on),
                        cause_id) AS cause_rank
    FROM known
)
SELECT carrier_icao, origin_icao, dest_icao, started_on, detected_on, cause_rank, cause_type,
       cause_id, country, cause_date, known_on, what AS description
FROM ranked
UNION ALL BY NAME
SELECT t.carrier_icao, t.origin_icao, t.dest_icao, t.started_on, t.detected_on,
       1 AS cause_rank, 'none_found' AS cause_type,
       'no airspace act or notice in force over a country the route crosses' AS description
FROM detours t
ANTI JOIN known k USING (carrier_icao, origin_icao, dest_icao, started_on);

-- As known today (UTC).
CREATE OR REPLACE VIEW route_detour_causes AS
SELECT * FROM route_detour_causes_known(CAST(timezone('UTC', now()) AS DATE));

-- The detours as known on day d: those detected by d, with their judged days, long days and
-- minutes added counted over the days loaded by d, and ended_on only once the 3 flight days
-- that end a detour were all by d (as sql/derive/060 would have said on d). A report of day d
-- made later says what was known on d.
CREATE OR REPLACE MACRO route_detours_known(d) AS TABLE
WITH detours AS (
    SELECT * FROM route_detours WHERE detected_on <= CAST(d AS DATE)
),
days AS (
    SELECT t.carrier_icao, t.origin_icao, t.dest_icao, t.started_on, t.detected_on,
           r.flight_date, r.median_flight_minutes - t.baseline_minutes AS excess,
           t.threshold_minutes
    FROM detours t
    JOIN route_daily r USING (carrier_icao, origin_icao, dest_icao)
    WHERE r.timed_flights > 0 AND r.flight_date BETWEEN t.started_on AND CAST(d AS DATE)
),
runs AS (  -- the first 7 flight days from the onset, within 14 days
    SELECT carrier_icao, origin_icao, dest_icao, started_on, count(*) AS judged_days,
           count(*) FILTER (WHERE excess >= threshold_minutes) AS long_days,
           round(median(excess), 1) AS minutes_added
    FROM (SELECT * FROM days WHERE flight_date <= started_on + 13
          QUALIFY row_number() OVER (PARTITION BY carrier_icao, origin_icao, dest_icao,
                                                  started_on ORDER BY flight_date) <= 7)
    GROUP BY ALL
),
ends AS (
    SELECT carrier_icao, origin_icao, dest_icao, started_on,
           min(flight_date) FILTER (WHERE back AND back_1 AND back_2
                                      AND third_day <= flight_date + 13) AS ended_on
    FROM (SELECT *, excess < threshold_minutes AS back,
                 lead(excess < threshold_minutes, 1) OVER route AS back_1,
                 lead(excess < threshold_minutes, 2) OVER route AS back_2,
                 lead(flight_date, 2) OVER route AS third_day
          FROM days WHERE flight_date > detected_on
          WINDOW route AS (PARTITION BY carrier_icao, origin_icao, dest_icao, started_on
                           ORDER BY flight_date))
    GROUP BY ALL
)
SELECT t.* REPLACE (r.minutes_added AS minutes_added, r.judged_days AS judged_days,
                    r.long_days AS long_days, e.ended_on AS ended_on)
FROM detours t
JOIN runs r USING (carrier_icao, origin_icao, dest_icao, started_on)
LEFT JOIN ends e USING (carrier_icao, origin_icao, dest_icao, started_on);

-- Exposure: per country and day up to d, the flights on routes whose great circle crosses it
-- (to, from or over it), those that only fly over it, and how many of each were on a detour
-- that day (as known on d: from started_on to the day before ended_on): the avoidance figure.
CREATE OR REPLACE MACRO airspace_exposure_known(d) AS TABLE
WITH detours AS (
    SELECT * FROM route_detours_known(d)
),
route_days AS (
    SELECT r.flight_date, r.carrier_icao, r.origin_icao, r.dest_icao, r.flights, c.country,
           c.country NOT IN (o.country, a.country) AS overflight,
           EXISTS (SELECT 1 FROM detours t
                   WHERE t.carrier_icao = r.carrier_icao AND t.origin_icao = r.origin_icao
                     AND t.dest_icao = r.dest_icao AND r.flight_date >= t.started_on
                     AND r.flight_date < coalesce(t.ended_on, DATE '9999-12-31')) AS detoured
    FROM route_daily r
    JOIN route_crossings c USING (origin_icao, dest_icao)
    JOIN airports o ON o.airport_icao = r.origin_icao
    JOIN airports a ON a.airport_icao = r.dest_icao
    WHERE r.flights > 0 AND r.flight_date <= CAST(d AS DATE)
)
SELECT country, flight_date,
       count(*) AS routes,
       sum(flights) AS flights,
       coalesce(sum(flights) FILTER (WHERE detoured), 0) AS flights_detoured,
       coalesce(sum(flights) FILTER (WHERE overflight), 0) AS overflights,
       coalesce(sum(flights) FILTER (WHERE overflight AND detoured), 0)
           AS overflights_detoured
FROM route_days
GROUP BY country, flight_date;

-- As known today (UTC).
CREATE OR REPLACE VIEW airspace_exposure AS
SELECT * FROM airspace_exposure_known(CAST(timezone('UTC', now()) AS DATE));
