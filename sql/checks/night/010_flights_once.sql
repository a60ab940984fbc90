-- A flight is stored once per source (sql/load/flights/ keeps the newest fetch's copy). A
-- flight keeps its day, so the days the night wrote hold every possible duplicate.
SELECT source, flight_id, count(*) AS copies
FROM flights
WHERE flight_date IN (SELECT d FROM touched_dates)
GROUP BY ALL
HAVING count(*) > 1
