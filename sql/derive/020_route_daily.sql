-- route_daily for the days the load touched (touched_dates, filled by the loader).
DELETE FROM route_daily WHERE flight_date IN (SELECT d FROM touched_dates);
INSERT INTO written_days SELECT DISTINCT 'route_daily', d FROM touched_dates;

INSERT INTO route_daily
SELECT flight_date, carrier_icao, origin_icao, dest_icao,
       count(*) FILTER (WHERE status IN ('observed', 'completed', 'diverted')) AS flights,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled
FROM counted_flights
WHERE flight_date IN (SELECT d FROM touched_dates)
  AND carrier_icao IS NOT NULL AND origin_icao IS NOT NULL AND dest_icao IS NOT NULL
GROUP BY ALL;
