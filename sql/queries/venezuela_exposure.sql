-- How many flights a day crossed Venezuela (to, from or over it), and how many of them were on a detour?
SELECT flight_date, routes, flights, flights_detoured, overflights, overflights_detoured
FROM airspace_exposure
WHERE country = 'VE' AND flight_date BETWEEN DATE '2025-11-18' AND DATE '2025-11-28'
ORDER BY flight_date;
