-- The official status history of every carrier in Venezuela, act by act, and what ended each status.
SELECT coalesce(carrier_icao, carrier_name) AS carrier, status, valid_from, valid_to,
       authority, action_id, ended_by, last_flight_before
FROM carrier_status
WHERE jurisdiction_country = 'VE'
ORDER BY carrier, valid_from;
