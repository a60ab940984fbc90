-- One row per route and day in route_daily (sql/derive/020 replaces whole days).
SELECT flight_date, carrier_icao, origin_icao, dest_icao, count(*) AS copies
FROM route_daily
WHERE flight_date IN (SELECT d FROM touched_dates)
GROUP BY ALL
HAVING count(*) > 1
