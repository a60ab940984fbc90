-- The last day each airline was seen flying to or from Venezuela.
SELECT carrier_icao,
       max(flight_date) AS last_flight_date,
       count(*)         AS flights_in_window
FROM flights
WHERE carrier_icao IS NOT NULL
  AND (origin_icao LIKE 'SV%' OR dest_icao LIKE 'SV%')
GROUP BY carrier_icao
ORDER BY last_flight_date, carrier_icao;
