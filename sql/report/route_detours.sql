-- Detours detected by $day that began from $plot_start - 14 on, of routes touching or crossing
-- a watched country, as known on $day (route_detours_known: their days, minutes and end as
-- the data loaded by $day showed them), with their first cause as known on $day.
WITH causes AS (
    SELECT c.carrier_icao, c.origin_icao, c.dest_icao, c.started_on, c.description,
           coalesce(p.source_url, n.source_url) AS source_url
    FROM route_detour_causes_known($day) c
    LEFT JOIN permit_actions p ON p.action_id = c.cause_id AND c.cause_type = 'airspace_act'
    LEFT JOIN (SELECT notice_id, min(source_url) AS source_url FROM airspace_notices GROUP BY 1) n
      ON n.notice_id = c.cause_id AND c.cause_type = 'airspace_notice'
    WHERE c.cause_rank = 1
),
crossed AS (
    SELECT origin_icao, dest_icao, string_agg(country, ', ' ORDER BY entry_km) AS countries,
           bool_or(list_contains($countries, country)) AS watched
    FROM route_crossings
    GROUP BY ALL
)
SELECT t.started_on, t.carrier_icao, n.name AS carrier_name,
       t.origin_icao, o.city AS origin_city, t.dest_icao, d.city AS dest_city,
       t.baseline_minutes, t.minutes_added, t.long_days, t.judged_days, t.detected_on,
       t.ended_on,
       x.countries, c.description AS first_cause, c.source_url,
       o.lat AS origin_lat, o.lon AS origin_lon, d.lat AS dest_lat, d.lon AS dest_lon
FROM route_detours_known($day) t
JOIN crossed x USING (origin_icao, dest_icao)
LEFT JOIN (SELECT airline_icao, min(name) AS name FROM airlines GROUP BY 1) n
  ON n.airline_icao = t.carrier_icao
LEFT JOIN airports o ON o.airport_icao = t.origin_icao
LEFT JOIN airports d ON d.airport_icao = t.dest_icao
LEFT JOIN causes c USING (carrier_icao, origin_icao, dest_icao, started_on)
WHERE t.started_on >= $plot_start - 14 AND x.watched
ORDER BY t.started_on DESC, t.carrier_icao, t.origin_icao, t.dest_icao;
