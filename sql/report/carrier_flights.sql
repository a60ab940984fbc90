-- Daily flights of each of $carriers touching each country, from $plot_start to $day.
SELECT r.carrier_icao, c.country, r.flight_date, sum(r.flights) AS flights
FROM route_daily r
JOIN airports o ON o.airport_icao = r.origin_icao
JOIN airports d ON d.airport_icao = r.dest_icao
CROSS JOIN LATERAL (SELECT DISTINCT unnest([o.country, d.country]) AS country) c
WHERE r.flight_date BETWEEN $plot_start AND $day
  AND list_contains($carriers, r.carrier_icao)
GROUP BY ALL
ORDER BY ALL;
