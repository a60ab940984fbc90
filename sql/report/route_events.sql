-- Route events detected from $window_start to $day on routes touching a watched country.
SELECT e.detected_on, e.event_type, e.carrier_icao, e.carrier_name,
       e.origin_icao, o.city AS origin_city, e.dest_icao, d.city AS dest_city,
       e.event_date, e.last_flight_date, e.baseline_weekly_flights, e.confidence,
       e.evidence
FROM route_changes e
LEFT JOIN airports o ON o.airport_icao = e.origin_icao
LEFT JOIN airports d ON d.airport_icao = e.dest_icao
WHERE e.detected_on BETWEEN $window_start AND $day
  AND (list_contains($countries, e.origin_country) OR list_contains($countries, e.dest_country))
ORDER BY e.detected_on DESC, e.event_date, e.carrier_icao, e.origin_icao, e.dest_icao;
