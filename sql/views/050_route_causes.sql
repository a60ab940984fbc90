-- Why routes stopped: each suspension's likely causes, ranked, as known on a day. A cause is
-- evidence found near the stop, not proof of it. Kinds, in rank order:
--   official_act  an act of the registry naming the carrier in the country of either airport
--                 (not a restoration or resumption), taking effect within 30 days of the last
--                 flight and not ended before it;
--   airspace      an airspace act of the registry (advisory or prohibition) for either
--                 airport's country, or a NOTAM (advisory, prohibition, closure) over either
--                 airport's area, in force from a week after the last flight or earlier and
--                 not ended before it;
--   country_act   an act of the registry for either airport's country naming no carrier;
--   carrier_wide  the carrier flew nothing to, from or within that country for the week after
--                 the last flight: it stopped all its routes there, not just this one;
--   airport       either airport's traffic was disrupted (under half its baseline) in the week
--                 after the last flight;
--   none_found    none of these.
-- Within a kind, the nearest in time to the last flight comes first. known_on is the day the
-- cause was known (an act's announced_date, else its effective_date; for a NOTAM, the later
-- of its issue and the night the pipeline first saw it),
-- so the report and the alerts of day d use only route_event_causes_known(d).

-- The area of an ICAO location: its first letter where one letter is a country's (K: the
-- contiguous US, C: Canada, Y: Australia, Z: China, U: Russia and neighbours), else its first
-- two (SV: Venezuela, SK: Colombia). A NOTAM's FIR and an airport match by area: a good
-- approximation of "the FIR the airport lies in" where no FIR boundaries are loaded.
CREATE OR REPLACE MACRO icao_area(code) AS
    CASE WHEN left(code, 1) IN ('K', 'C', 'Y', 'Z', 'U') THEN left(code, 1)
         ELSE left(code, 2) END;

CREATE OR REPLACE MACRO route_event_causes_known(d) AS TABLE
WITH stops AS (
    SELECT e.carrier_icao, e.origin_icao, e.dest_icao, e.event_date, e.last_flight_date,
           e.detected_on, o.country AS origin_country, a.country AS dest_country
    FROM route_events e
    LEFT JOIN airports o ON o.airport_icao = e.origin_icao
    LEFT JOIN airports a ON a.airport_icao = e.dest_icao
    WHERE e.event_type = 'suspended' AND e.detected_on <= CAST(d AS DATE)
),
registry AS (
    SELECT s.*,
           CASE WHEN p.carrier_icao IS NOT NULL THEN 'official_act'
                WHEN p.action IN ('prohibited_airspace', 'advisory_airspace') THEN 'airspace'
                ELSE 'country_act' END AS cause_type,
           p.action_id AS cause_id, p.effective_date AS cause_date,
           coalesce(p.announced_date, p.effective_date) AS known_on,
           CASE p.action
               WHEN 'voluntary_suspension' THEN
                   format('{} suspended its own flights in {}', p.carrier_icao,
                          p.jurisdiction_country)
               WHEN 'revoked' THEN format('{} revoked {}''s permit in {}', p.authority,
                                          p.carrier_icao, p.jurisdiction_country)
               WHEN 'advisory_airspace' THEN format('{} warned about the airspace of {}',
                                                    p.authority, p.jurisdiction_country)
               WHEN 'prohibited_airspace' THEN format('{} prohibited flights in the airspace of {}',
                                                      p.authority, p.jurisdiction_country)
               ELSE format('{} {} {} in {}', p.authority, p.action,
                           coalesce(p.carrier_icao, 'flights'), p.jurisdiction_country)
           END || format(' from {}', strftime(p.effective_date, '%-d %b %Y')) AS what
    FROM stops s
    JOIN permit_actions p
      ON p.jurisdiction_country IN (s.origin_country, s.dest_country)
     AND (p.carrier_icao = s.carrier_icao
          OR (p.carrier_icao IS NULL AND p.carrier_name IS NULL))
    WHERE p.action NOT IN ('restored', 'voluntary_resumption')
      AND p.effective_date BETWEEN s.last_flight_date - 30 AND s.last_flight_date + 30
      AND coalesce(p.end_date, DATE '9999-12-31') > s.last_flight_date
),
notices AS (
    SELECT s.*, 'airspace' AS cause_type, n.notice_id AS cause_id,
           CAST(n.effective_start AS DATE) AS cause_date,
           -- known once issued, and once the pipeline had seen it (the night it first came)
           greatest(CAST(least(coalesce(n.issued, n.effective_start), n.effective_start)
                         AS DATE),
                    TRY_CAST(left(n.first_seen_partition, 10) AS DATE)) AS known_on,
           format('NOTAM {} ({} over {}) in force from {}', n.notice_id, n.category, n.fir,
                  strftime(n.effective_start, '%-d %b %Y')) AS what
    FROM stops s
    JOIN airspace_notices n
      ON icao_area(n.fir) IN (icao_area(s.origin_icao), icao_area(s.dest_icao))
    WHERE n.notam_type IS DISTINCT FROM 'C'
      AND n.category IN ('advisory', 'prohibition', 'closure')
      AND n.effective_start < s.last_flight_date + 8
      AND coalesce(least(n.effective_end, n.ended_at), TIMESTAMP '9999-12-31')
          >= s.last_flight_date
),
carrier_wide AS (
    SELECT s.*, 'carrier_wide' AS cause_type, c.country AS cause_id,
           s.last_flight_date + 1 AS cause_date, s.last_flight_date + 8 AS known_on,
           format('{} flew nothing to, from or within {} in the week after', s.carrier_icao,
                  c.country) AS what
    FROM stops s
    CROSS JOIN LATERAL (SELECT DISTINCT unnest([s.origin_country, s.dest_country]) AS country)
        c
    WHERE c.country IS NOT NULL
      AND NOT EXISTS (
          SELECT 1 FROM carrier_country_days f
          WHERE f.carrier_icao = s.carrier_icao AND f.country = c.country
            AND f.flight_date BETWEEN s.last_flight_date + 1 AND s.last_flight_date + 7)
),
airport AS (
    SELECT s.*, 'airport' AS cause_type, t.airport_icao AS cause_id, t.flight_date AS cause_date,
           t.flight_date AS known_on,
           format('{} traffic at {:.0f}% of its baseline on {}', t.airport_icao,
                  100 * t.ratio, strftime(t.flight_date, '%-d %b %Y')) AS what
    FROM stops s
    JOIN airport_traffic_daily t
      ON t.airport_icao IN (s.origin_icao, s.dest_icao)
     AND t.flight_date BETWEEN s.last_flight_date + 1 AND s.last_flight_date + 7
    WHERE t.disrupted
    QUALIFY row_number() OVER (PARTITION BY s.carrier_icao, s.origin_icao, s.dest_icao,
                                            s.last_flight_date, t.airport_icao
                               ORDER BY t.flight_date) = 1
),
found AS (
    SELECT * FROM registry
    UNION ALL BY NAME SELECT * FROM notices
    UNION ALL BY NAME SELECT * FROM carrier_wide
    UNION ALL BY NAME SELECT * FROM airport
),
known AS (
    SELECT * FROM found WHERE known_on <= CAST(d AS DATE)
),
ranked AS (
    SELECT *,
           row_number() OVER (
               PARTITION BY carrier_icao, origin_icao, dest_icao, last_flight_date
               ORDER BY list_position(['official_act', 'airspace', 'country_act',
                                       'carrier_wide', 'airport'], cause_type),
                        abs(cause_date - last_flight_date), cause_id) AS cause_rank
    FROM known
)
SELECT carrier_icao, origin_icao, dest_icao, event_date, last_flight_date, detected_on,
       cause_rank, cause_type, cause_id, cause_date, cause_date - last_flight_date
           AS days_after_last_flight, known_on,
       what || CASE WHEN cause_type IN ('official_act', 'airspace', 'country_act') THEN
                   CASE WHEN cause_date = last_flight_date THEN ', the day of the last flight'
                        ELSE format(', {} day{} {} the last flight',
                                    abs(cause_date - last_flight_date),
                                    CASE WHEN abs(cause_date - last_flight_date) = 1 THEN ''
                                         ELSE 's' END,
                                    CASE WHEN cause_date > last_flight_date THEN 'after'
                                         ELSE 'before' END) END
               ELSE '' END AS description
FROM ranked
UNION ALL BY NAME
SELECT s.carrier_icao, s.origin_icao, s.dest_icao, s.event_date, s.last_flight_date,
       s.detected_on, 1 AS cause_rank, 'none_found' AS cause_type,
       'no act, notice, carrier-wide stop or airport disruption found' AS description
FROM stops s
ANTI JOIN known k USING (carrier_icao, origin_icao, dest_icao, last_flight_date);

-- As known today (UTC).
CREATE OR REPLACE VIEW route_event_causes AS
SELECT * FROM route_event_causes_known(CAST(timezone('UTC', now()) AS DATE));

-- One line per suspension as known on day d: the route, its last flight, how sure, and its
-- first three causes, e.g. "AVA SKBO-SVMI: last flight 21 Nov 2025; ...".
CREATE OR REPLACE MACRO route_suspension_summaries(d) AS TABLE
WITH causes AS (
    SELECT carrier_icao, origin_icao, dest_icao, last_flight_date,
           string_agg(description, '; ' ORDER BY cause_rank) AS causes
    FROM route_event_causes_known(d)
    WHERE cause_rank <= 3
    GROUP BY ALL
)
SELECT e.carrier_icao, e.origin_icao, e.dest_icao, e.event_date, e.last_flight_date,
       e.detected_on, e.confidence, e.evidence,
       format('{} {}-{}: last flight {}; {}', e.carrier_icao, e.origin_icao, e.dest_icao,
              strftime(e.last_flight_date, '%-d %b %Y'), c.causes) AS summary
FROM route_events e
JOIN causes c USING (carrier_icao, origin_icao, dest_icao, last_flight_date)
WHERE e.event_type = 'suspended';
