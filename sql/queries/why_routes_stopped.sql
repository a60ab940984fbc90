-- Why did routes to and from Venezuela stop? Each suspension with its likely causes, as known on 5 Dec 2025.
SELECT summary
FROM route_suspension_summaries(DATE '2025-12-05')
WHERE origin_icao LIKE 'SV%' OR dest_icao LIKE 'SV%'
ORDER BY event_date, carrier_icao, origin_icao;
