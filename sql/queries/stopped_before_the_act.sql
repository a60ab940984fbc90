-- Did carriers stop flying before the act that barred them, and by how many days?
SELECT carrier_icao, status, valid_from AS act_effective, authority, last_flight_before,
       valid_from - last_flight_before AS days_silent_before_act, first_flight_after
FROM carrier_status
WHERE jurisdiction_country = 'VE' AND status <> 'authorized'
  AND valid_from >= DATE '2025-11-01'
ORDER BY valid_from, carrier_icao;
