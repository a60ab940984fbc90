-- Which routes were suspended on a given day (5 Dec 2025), and since when?
SELECT s.carrier_icao, s.origin_icao, s.dest_icao, s.valid_from AS suspended_since,
       e.last_flight_date, e.detected_on
FROM route_status_asof(DATE '2025-12-05') s
JOIN route_events e
  ON e.carrier_icao = s.carrier_icao AND e.origin_icao = s.origin_icao
 AND e.dest_icao = s.dest_icao AND e.event_type = 'suspended' AND e.event_date = s.valid_from
WHERE s.status = 'suspended'
ORDER BY suspended_since, s.carrier_icao, s.origin_icao, s.dest_icao;
