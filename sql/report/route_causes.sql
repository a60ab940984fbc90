-- The likely causes of the route suspensions detected from $window_start to $day on routes
-- touching a watched country, ranked, as known on $day (route_event_causes_known, in
-- sql/views/050_route_causes.sql: an act announced later is left out), with the source link
-- of each registry act or NOTAM. A NOTAM the pipeline first saw after $day is left out too, as
-- in airspace_notices.sql, so a report made again later says the same.
WITH causes AS (
    SELECT c.*
    FROM route_event_causes_known($day) c
    LEFT JOIN airports o ON o.airport_icao = c.origin_icao
    LEFT JOIN airports d ON d.airport_icao = c.dest_icao
    WHERE c.detected_on BETWEEN $window_start AND $day
      AND (list_contains($countries, o.country) OR list_contains($countries, d.country))
),
notice_sources AS (  -- a domestic notice id recurs over the years: its start day tells which
    SELECT notice_id, CAST(effective_start AS DATE) AS cause_date, min(source_url) AS source_url,
           min(try_cast(split_part(first_seen_partition, '/', 1) AS DATE)) AS first_seen
    FROM airspace_notices
    GROUP BY ALL
),
known AS (
    SELECT c.*, coalesce(p.source_url, n.source_url) AS source_url
    FROM causes c
    LEFT JOIN permit_actions p
      ON p.action_id = c.cause_id AND c.cause_type IN ('official_act', 'airspace', 'country_act')
    LEFT JOIN notice_sources n
      ON n.notice_id = c.cause_id AND n.cause_date = c.cause_date AND c.cause_type = 'airspace'
    WHERE n.first_seen IS NULL OR n.first_seen <= $day
)
SELECT carrier_icao, origin_icao, dest_icao, last_flight_date, cause_type, description,
       source_url,
       row_number() OVER (PARTITION BY carrier_icao, origin_icao, dest_icao, last_flight_date
                          ORDER BY cause_rank) AS cause_rank
FROM known
ORDER BY carrier_icao, origin_icao, dest_icao, last_flight_date, cause_rank;
