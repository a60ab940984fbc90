-- An event cannot be detected before the last flight it is measured from.
SELECT carrier_icao, origin_icao, dest_icao, event_type, last_flight_date, detected_on
FROM route_events
WHERE last_flight_date IS NOT NULL AND detected_on < last_flight_date
