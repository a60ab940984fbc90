-- How did traffic to, from and within Venezuela compare with its own baseline, day by day?
SELECT flight_date, CAST(flights AS INTEGER) AS flights, round(baseline, 1) AS baseline, round(ratio, 2) AS ratio, disrupted
FROM country_traffic_daily
WHERE country = 'VE' AND flight_date >= DATE '2025-11-17'
ORDER BY flight_date;
