-- Which Venezuelan airports had a day with less than half their usual traffic?
SELECT t.airport_icao, a.name, t.flight_date, t.flights, round(t.baseline, 1) AS baseline,
       round(t.ratio, 2) AS ratio
FROM airport_traffic_daily t
JOIN airports a USING (airport_icao)
WHERE t.disrupted AND a.country = 'VE'
ORDER BY t.flight_date, t.airport_icao;
