-- One row per country and day in country_daily, and per carrier, country and day in
-- carrier_country_days, for the days sql/derive/025 rewrote (country_days).
SELECT 'country_daily' AS table_name, flight_date, country, NULL AS carrier_icao,
       count(*) AS copies
FROM country_daily
WHERE flight_date IN (SELECT d FROM country_days)
GROUP BY ALL
HAVING count(*) > 1
UNION ALL
SELECT 'carrier_country_days', flight_date, country, carrier_icao, count(*)
FROM carrier_country_days
WHERE flight_date IN (SELECT d FROM country_days)
GROUP BY ALL
HAVING count(*) > 1
