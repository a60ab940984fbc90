-- Which routes over Venezuela flew lastingly longer, by how much, and what was in force there (as known on 5 Dec 2025)?
SELECT t.carrier_icao, t.origin_icao, t.dest_icao, t.started_on, t.detected_on,
       t.baseline_minutes AS usual_minutes, t.minutes_added, c.description AS first_cause
FROM route_detours t
JOIN route_crossings x USING (origin_icao, dest_icao)
JOIN route_detour_causes_known(DATE '2025-12-05') c
  USING (carrier_icao, origin_icao, dest_icao, started_on)
WHERE x.country = 'VE' AND c.cause_rank = 1
ORDER BY t.started_on, t.carrier_icao, t.origin_icao;
