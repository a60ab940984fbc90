-- Flights per airline and UTC day to or from Venezuela (airports SV..): who stopped, and when?
PIVOT (
    SELECT carrier_icao, strftime(flight_date, '%m-%d') AS day
    FROM flights
    WHERE carrier_icao IS NOT NULL
      AND (origin_icao LIKE 'SV%' OR dest_icao LIKE 'SV%')
)
ON day USING count(*)
GROUP BY carrier_icao
ORDER BY carrier_icao;
