-- Who was barred from Venezuela on a given day (27 Nov 2025), by which act?
SELECT c.carrier_icao, a.carrier_name, c.status, c.valid_from AS since, c.authority, c.action_id
FROM carrier_status_asof(DATE '2025-11-27') c
JOIN permit_actions a USING (action_id)
WHERE c.jurisdiction_country = 'VE' AND c.status <> 'authorized'
ORDER BY since, carrier_icao;
