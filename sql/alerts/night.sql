-- The alerts of the night of UTC day $day, as known on $day, for the watched $countries: what
-- pipeline/alerts sends after the night loads. One row per alert (kind):
--   route_suspended            a route suspension detected on $day, with its summary (its
--                              first causes) and the sources of those causes;
--   carrier_restricted         a carrier restricted in a jurisdiction on $day that was not on
--                              $day - 1 as known then: the restriction began on $day, or it
--                              became known on $day (announced after it took effect);
--   carrier_restriction_ended  restricted on $day - 1, no longer on $day (as known on $day);
--   carrier_status_changed     restricted on both days, by another act or with another status;
--   service_shifted            a service shift (service_shifts) in its week of judging (the 7th
--                              to 14th day of its suspension): alert_log sends it once, the
--                              first night the data shows it.
--   route_detoured             a detour (route_detours) detected in the 7 days up to $day, of a
--                              route touching or crossing a watched country, with its first
--                              causes as known on $day: alert_log sends it once.
-- The statuses compare restricted_carriers_asof($day) with restricted_carriers_asof($day - 1).
-- body is what to know, sources the links; a route's event_type, evidence, confidence and
-- dates let pipeline/alerts say how sure it is in the report's words.
-- Watched: a route touching a watched country; a status in a watched country, or of a carrier
-- from one. alert_key names the event, not the night or the run: every run of the night gives
-- the same keys, so alert_log lets each go to a channel once.
WITH names AS (
    SELECT airline_icao, min(name) AS name, min(country) AS country FROM airlines GROUP BY 1
),
suspensions AS (
    SELECT s.*, n.name AS carrier_name, o.city AS origin_city, a.city AS dest_city
    FROM route_suspension_summaries($day) s
    LEFT JOIN names n ON n.airline_icao = s.carrier_icao
    LEFT JOIN airports o ON o.airport_icao = s.origin_icao
    LEFT JOIN airports a ON a.airport_icao = s.dest_icao
    WHERE s.detected_on = $day
      AND (list_contains($countries, o.country) OR list_contains($countries, a.country))
),
notice_sources AS (
    SELECT notice_id, min(source_url) AS source_url FROM airspace_notices GROUP BY 1
),
cause_sources AS (  -- the source link of each of the first three causes that has one
    SELECT c.carrier_icao, c.origin_icao, c.dest_icao, c.last_flight_date,
           string_agg(format('{}: {}', c.cause_id, coalesce(p.source_url, n.source_url)),
                      chr(10) ORDER BY c.cause_rank) AS sources
    FROM route_event_causes_known($day) c
    LEFT JOIN permit_actions p
      ON p.action_id = c.cause_id AND c.cause_type IN ('official_act', 'country_act', 'airspace')
    LEFT JOIN notice_sources n ON n.notice_id = c.cause_id AND c.cause_type = 'airspace'
    WHERE c.cause_rank <= 3 AND coalesce(p.source_url, n.source_url) IS NOT NULL
    GROUP BY ALL
),
route_alerts AS (
    SELECT 1 AS kind_order, 'route_suspended' AS kind,
           concat_ws('|', 'route_suspended', s.carrier_icao, s.origin_icao, s.dest_icao,
                     s.last_flight_date) AS alert_key,
           format('Route suspended: {} {}-{}, last flight {}', s.carrier_icao, s.origin_icao,
                  s.dest_icao, strftime(s.last_flight_date, '%-d %b %Y')) AS subject,
           s.summary || chr(10)
               || format('{}, {} to {}: suspended from {}, detected on {}.',
                         CASE WHEN s.carrier_name IS NULL THEN s.carrier_icao
                              ELSE format('{} ({})', s.carrier_name, s.carrier_icao) END,
                         concat_ws(' ', s.origin_city, s.origin_icao),
                         concat_ws(' ', s.dest_city, s.dest_icao),
                         strftime(s.event_date, '%-d %b %Y'),
                         strftime(s.detected_on, '%-d %b %Y')) AS body,
           'Sources:' || chr(10) || c.sources AS sources,
           'suspended' AS event_type, s.evidence, s.confidence, s.last_flight_date,
           s.detected_on, s.carrier_icao AS carrier_key,
           s.origin_icao || '-' || s.dest_icao AS place
    FROM suspensions s
    LEFT JOIN cause_sources c USING (carrier_icao, origin_icao, dest_icao, last_flight_date)
),
shift_alerts AS (
    SELECT 3 AS kind_order, 'service_shifted' AS kind,
           concat_ws('|', 'service_shifted', h.carrier_icao, h.lost_origin_icao,
                     h.lost_dest_icao, h.suspended_on, h.new_airport_icao) AS alert_key,
           format('Service shifted: {} {}-{} to {}-{}', h.carrier_icao, h.lost_origin_icao,
                  h.lost_dest_icao, h.new_origin_icao, h.new_dest_icao) AS subject,
           format('{} left {}: {}-{} suspended from {}. {}-{} ({}, {} km from {}) went from '
                  '{} to {} flights a week in the same weeks (the lost route flew {} a week).',
                  coalesce(n.name || ' (' || h.carrier_icao || ')', h.carrier_icao),
                  h.left_airport_icao, h.lost_origin_icao, h.lost_dest_icao,
                  strftime(h.suspended_on, '%-d %b %Y'), h.new_origin_icao, h.new_dest_icao,
                  coalesce(b.name, h.new_airport_icao), CAST(h.distance_km AS INTEGER),
                  h.left_airport_icao, h.new_weekly_before, h.new_weekly_after,
                  round(h.lost_weekly_flights, 1)) AS body,
           h.carrier_icao AS carrier_key,
           h.lost_origin_icao || '-' || h.lost_dest_icao AS place
    FROM service_shifts h
    LEFT JOIN names n ON n.airline_icao = h.carrier_icao
    LEFT JOIN airports a ON a.airport_icao = h.left_airport_icao
    LEFT JOIN airports b ON b.airport_icao = h.new_airport_icao
    LEFT JOIN airports k ON k.airport_icao = CASE h.moved_end WHEN 'origin'
                                                  THEN h.new_dest_icao ELSE h.new_origin_icao END
    WHERE CAST($day AS DATE) BETWEEN h.suspended_on + 6 AND h.suspended_on + 13
      AND (list_contains($countries, a.country) OR list_contains($countries, b.country)
           OR list_contains($countries, k.country))
),
detour_causes AS (
    SELECT c.carrier_icao, c.origin_icao, c.dest_icao, c.started_on,
           string_agg(c.description, '; ' ORDER BY c.cause_rank) AS causes,
           string_agg(format('{}: {}', c.cause_id, coalesce(p.source_url, n.source_url)),
                      chr(10) ORDER BY c.cause_rank)
               FILTER (WHERE coalesce(p.source_url, n.source_url) IS NOT NULL) AS sources
    FROM route_detour_causes_known($day) c
    LEFT JOIN permit_actions p ON p.action_id = c.cause_id AND c.cause_type = 'airspace_act'
    LEFT JOIN notice_sources n ON n.notice_id = c.cause_id AND c.cause_type = 'airspace_notice'
    WHERE c.cause_rank <= 3
    GROUP BY ALL
),
detour_alerts AS (
    SELECT 4 AS kind_order, 'route_detoured' AS kind,
           concat_ws('|', 'route_detoured', t.carrier_icao, t.origin_icao, t.dest_icao,
                     t.started_on) AS alert_key,
           format('Route detoured: {} {}-{}, {:.0f} minutes longer from {}', t.carrier_icao,
                  t.origin_icao, t.dest_icao, t.minutes_added,
                  strftime(t.started_on, '%-d %b %Y')) AS subject,
           concat_ws(chr(10),
               format('{} {}-{} has flown {:.0f} minutes longer than its usual {:.0f} since {} '
                      '({} of its {} flight days since then at least {:.0f} minutes longer; '
                      'detected on {}). Its great circle crosses {}.',
                      coalesce(n.name || ' (' || t.carrier_icao || ')', t.carrier_icao),
                      t.origin_icao, t.dest_icao, t.minutes_added, t.baseline_minutes,
                      strftime(t.started_on, '%-d %b %Y'), t.long_days, t.judged_days,
                      t.threshold_minutes, strftime(t.detected_on, '%-d %b %Y'),
                      (SELECT string_agg(x.country, ', ' ORDER BY x.entry_km)
                       FROM route_crossings x
                       WHERE x.origin_icao = t.origin_icao AND x.dest_icao = t.dest_icao)),
               'Possible causes: ' || c.causes || '.') AS body,
           'Sources:' || chr(10) || c.sources AS sources,
           t.carrier_icao AS carrier_key, t.origin_icao || '-' || t.dest_icao AS place
    FROM route_detours t
    LEFT JOIN names n ON n.airline_icao = t.carrier_icao
    LEFT JOIN detour_causes c USING (carrier_icao, origin_icao, dest_icao, started_on)
    WHERE t.detected_on BETWEEN CAST($day AS DATE) - 7 AND CAST($day AS DATE)
      AND EXISTS (SELECT 1 FROM route_crossings x
                  WHERE x.origin_icao = t.origin_icao AND x.dest_icao = t.dest_icao
                    AND list_contains($countries, x.country))
),
today AS (
    SELECT coalesce(carrier_icao, carrier_name) AS carrier_key, *
    FROM restricted_carriers_asof($day)
),
yesterday AS (
    SELECT coalesce(carrier_icao, carrier_name) AS carrier_key, *
    FROM restricted_carriers_asof($day - 1)
),
changes AS (
    SELECT coalesce(t.carrier_key, y.carrier_key) AS carrier_key,
           coalesce(t.carrier_icao, y.carrier_icao) AS carrier_icao,
           coalesce(t.carrier_name, y.carrier_name) AS carrier_name,
           coalesce(t.jurisdiction_country, y.jurisdiction_country) AS jurisdiction_country,
           CASE WHEN y.action_id IS NULL THEN 'carrier_restricted'
                WHEN t.action_id IS NULL THEN 'carrier_restriction_ended'
                ELSE 'carrier_status_changed' END AS kind,
           t.status, t.since, t.authority, t.action_id, t.source_url, t.note,
           t.last_flight_date, y.status AS old_status, y.action_id AS old_action_id
    FROM today t
    FULL JOIN yesterday y
      ON y.carrier_key = t.carrier_key AND y.jurisdiction_country = t.jurisdiction_country
    WHERE t.action_id IS DISTINCT FROM y.action_id OR t.status IS DISTINCT FROM y.status
),
watched_changes AS (
    SELECT c.*, k.valid_to AS ended_on, k.ended_by, e.source_url AS ended_by_url,
           CASE WHEN c.carrier_name IS NULL OR c.carrier_name = c.carrier_key THEN c.carrier_key
                ELSE format('{} ({})', c.carrier_name, c.carrier_key) END AS who
    FROM changes c
    LEFT JOIN names n ON n.airline_icao = c.carrier_icao
    -- what ended an old restriction, as known on $day
    LEFT JOIN carrier_status_known($day) k
      ON k.action_id = c.old_action_id AND k.jurisdiction_country = c.jurisdiction_country
     AND coalesce(k.carrier_icao, k.carrier_name) = c.carrier_key
    LEFT JOIN permit_actions e ON e.action_id = k.ended_by
    WHERE list_contains($countries, c.jurisdiction_country)
       OR list_contains($countries, n.country)
),
status_alerts AS (
    SELECT 2 AS kind_order, kind,
           concat_ws('|', kind, carrier_key, jurisdiction_country, old_action_id, action_id)
               AS alert_key,
           CASE kind
               WHEN 'carrier_restricted' THEN
                   format('{} {} in {} from {}', carrier_key, status, jurisdiction_country,
                          strftime(since, '%-d %b %Y'))
               WHEN 'carrier_restriction_ended' THEN
                   format('{} no longer {} in {}', carrier_key, old_status,
                          jurisdiction_country)
                   || coalesce(format(' from {}', strftime(ended_on, '%-d %b %Y')), '')
               ELSE format('{} in {}: {} -> {} from {}', carrier_key, jurisdiction_country,
                           old_status, status, strftime(since, '%-d %b %Y'))
           END AS subject,
           CASE WHEN kind = 'carrier_restriction_ended' THEN
               concat_ws(chr(10),
                   format('{} is no longer {} in {} ({}).', who, old_status,
                          jurisdiction_country, old_action_id),
                   CASE WHEN ended_by IS NOT NULL THEN
                            format('Ended on {} by {}.', strftime(ended_on, '%-d %b %Y'),
                                   ended_by)
                        WHEN ended_on IS NOT NULL THEN
                            format('Its end date, {}, has passed.',
                                   strftime(ended_on, '%-d %b %Y'))
                        ELSE 'The registry no longer lists that act.' END)
           ELSE
               concat_ws(chr(10),
                   format('{} is {} in {} from {}', who, status, jurisdiction_country,
                          strftime(since, '%-d %b %Y'))
                       || coalesce(format(', by {}', authority), '')
                       || format(' ({}).', action_id),
                   format('Before: {} ({}).', old_status, old_action_id),
                   CASE WHEN since < $day THEN
                       format('Known from {}: announced after it took effect.',
                              strftime(CAST($day AS DATE), '%-d %b %Y')) END,
                   format('Last flight there before it: {}.',
                          strftime(last_flight_date, '%-d %b %Y')),
                   format('Note: {}.', note))
           END AS body,
           format('Source: {}', CASE WHEN kind = 'carrier_restriction_ended'
                                     THEN ended_by_url ELSE source_url END) AS sources,
           carrier_key, jurisdiction_country AS place
    FROM watched_changes
)
SELECT alert_key, kind, subject, body, sources, event_type, evidence, confidence,
       last_flight_date, detected_on
FROM (SELECT * FROM route_alerts UNION ALL BY NAME SELECT * FROM status_alerts
      UNION ALL BY NAME SELECT * FROM shift_alerts
      UNION ALL BY NAME SELECT * FROM detour_alerts)
ORDER BY kind_order, carrier_key, place, alert_key;
