-- Days from $plot_start to $day with any flights loaded: other days are gaps in the plots,
-- not zeros.
SELECT DISTINCT flight_date FROM route_daily
WHERE flight_date BETWEEN $plot_start AND $day
ORDER BY flight_date;
