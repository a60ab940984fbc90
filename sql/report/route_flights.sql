-- Daily flights of the routes in $routes ('CARRIER ORIGIN DEST'), from $plot_start to $day.
SELECT carrier_icao, origin_icao, dest_icao, flight_date, flights
FROM route_daily
WHERE flight_date BETWEEN $plot_start AND $day
  AND list_contains($routes, concat_ws(' ', carrier_icao, origin_icao, dest_icao))
ORDER BY ALL;
