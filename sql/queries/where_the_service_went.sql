-- When carriers left a Venezuelan airport, which of their routes from a near airport grew instead?
SELECT carrier_icao, lost_origin_icao || '-' || lost_dest_icao AS lost_route, suspended_on,
       new_origin_icao || '-' || new_dest_icao AS new_route, distance_km,
       new_weekly_before, new_weekly_after, detected_on
FROM service_shifts
WHERE left_airport_icao LIKE 'SV%'
ORDER BY suspended_on, carrier_icao, lost_route;
