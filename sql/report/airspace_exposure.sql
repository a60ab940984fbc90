-- Exposure of each watched country over the 7 days up to $day: the flights on routes whose
-- great circle crosses it, those only flying over it, and how many of each were on a detour
-- (as known on $day).
SELECT e.country, sum(e.flights) AS flights, sum(e.flights_detoured) AS flights_detoured,
       sum(e.overflights) AS overflights, sum(e.overflights_detoured) AS overflights_detoured
FROM airspace_exposure_known($day) e
WHERE list_contains($countries, e.country)
  AND e.flight_date BETWEEN CAST($day AS DATE) - 6 AND $day
GROUP BY e.country
ORDER BY sum(e.flights_detoured) DESC, sum(e.flights) DESC, e.country;
