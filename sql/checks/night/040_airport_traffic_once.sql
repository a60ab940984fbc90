-- One row per airport and day in airport_traffic_daily, over the days sql/derive/030 rewrote.
SELECT airport_icao, flight_date, count(*) AS copies
FROM airport_traffic_daily, traffic_window w
WHERE flight_date BETWEEN w.lo + 28 AND w.hi
GROUP BY ALL
HAVING count(*) > 1
