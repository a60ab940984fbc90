-- How many flights touched the watched airports each UTC day, and how many by known airlines?
SELECT flight_date,
       count(*)                   AS flights,
       count(carrier_icao)        AS airline_flights,
       count(DISTINCT carrier_icao) AS carriers
FROM flights
GROUP BY flight_date
ORDER BY flight_date;
