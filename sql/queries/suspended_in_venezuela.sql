-- Who could not fly to Venezuela on 5 Dec 2025, since when, says who, when did they actually stop, and what should a reader know?
SELECT coalesce(carrier_icao, carrier_name) AS carrier, status, since, authority,
       last_flight_date, until, note
FROM restricted_carriers_asof(DATE '2025-12-05')
WHERE jurisdiction_country = 'VE'
ORDER BY since, carrier;
