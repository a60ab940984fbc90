-- Flights to, from or within each watched country per day against its baseline (the same
-- weekday of the four weeks before), from $plot_start to $day.
SELECT t.country, coalesce(c.name, t.country) AS country_name, t.flight_date, t.flights,
       t.cancelled, t.baseline, t.ratio, t.disrupted
FROM country_traffic_daily t
LEFT JOIN countries c USING (country)
WHERE list_contains($countries, t.country) AND t.flight_date BETWEEN $plot_start AND $day
ORDER BY t.country, t.flight_date;
