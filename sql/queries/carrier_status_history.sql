-- The official status history of every carrier in Venezuela, act by act.
SELECT carrier_icao, status, valid_from, valid_to, authority, action_id,
       last_flight_before, first_flight_after
FROM carrier_status
WHERE jurisdiction_country = 'VE'
ORDER BY carrier_icao, valid_from;
