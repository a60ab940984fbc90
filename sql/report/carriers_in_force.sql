-- Carrier restrictions in force on $day, for carriers of the watched countries or restricted
-- in one, with the act that imposed them.
WITH names AS (
    SELECT airline_icao, min(name) AS name, min(country) AS country FROM airlines GROUP BY 1
)
SELECT s.carrier_icao, coalesce(n.name, p.carrier_name) AS carrier_name,
       s.jurisdiction_country, s.status, s.valid_from, s.authority, s.action_id,
       p.source_url, s.last_flight_before
FROM carrier_status_asof($day) s
JOIN permit_actions p USING (action_id)
LEFT JOIN names n ON n.airline_icao = s.carrier_icao
WHERE s.status <> 'authorized'
  AND (list_contains($countries, s.jurisdiction_country) OR list_contains($countries, n.country))
ORDER BY s.jurisdiction_country, s.valid_from DESC, s.carrier_icao;
