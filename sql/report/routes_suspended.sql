-- Routes touching a watched country that were suspended on $day as known on $day: their
-- latest suspension or resumption detected by then is a suspension. (route_status_asof would
-- also count suspensions detected later, which the night of $day could not know.)
WITH known AS (
    SELECT *
    FROM route_events
    WHERE event_type IN ('suspended', 'resumed') AND event_date <= $day AND detected_on <= $day
    QUALIFY row_number() OVER (PARTITION BY carrier_icao, origin_icao, dest_icao
                               ORDER BY event_date DESC, detected_on DESC) = 1
),
names AS (
    SELECT airline_icao, min(name) AS name FROM airlines GROUP BY 1
)
SELECT k.carrier_icao, n.name AS carrier_name, k.origin_icao, o.city AS origin_city,
       k.dest_icao, d.city AS dest_city, k.event_date AS suspended_since, k.last_flight_date,
       k.detected_on, k.baseline_weekly_flights, k.event_type, k.confidence, k.evidence
FROM known k
LEFT JOIN names n ON n.airline_icao = k.carrier_icao
LEFT JOIN airports o ON o.airport_icao = k.origin_icao
LEFT JOIN airports d ON d.airport_icao = k.dest_icao
WHERE k.event_type = 'suspended'
  AND (list_contains($countries, o.country) OR list_contains($countries, d.country))
ORDER BY k.event_date, k.carrier_icao, k.origin_icao, k.dest_icao;
