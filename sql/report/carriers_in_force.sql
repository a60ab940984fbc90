-- Carrier restrictions in force on $day, as known on $day, for carriers of the watched
-- countries or restricted in one, with the act that imposed them and what to know about it.
WITH names AS (
    SELECT airline_icao, min(name) AS name, min(country) AS country FROM airlines GROUP BY 1
)
SELECT s.carrier_icao, coalesce(n.name, s.carrier_name) AS carrier_name,
       s.jurisdiction_country, s.status, s.since AS valid_from, s.authority, s.action_id,
       s.source_url, s.last_flight_date AS last_flight_before, s.note
FROM restricted_carriers_asof($day) s
LEFT JOIN names n ON n.airline_icao = s.carrier_icao
WHERE list_contains($countries, s.jurisdiction_country) OR list_contains($countries, n.country)
ORDER BY s.jurisdiction_country, s.since DESC, s.carrier_icao;
