-- Which routes to or from Venezuela stopped, when, how fast did we know, and how sure are we?
SELECT event_type, event_date, carrier_icao, origin_icao, dest_icao, last_flight_date,
       detected_on, detected_on - last_flight_date AS days_to_detect,
       round(baseline_weekly_flights, 1) AS weekly_before, round(confidence, 3) AS confidence,
       evidence
FROM route_changes
WHERE origin_country = 'VE' OR dest_country = 'VE'
ORDER BY event_date, carrier_icao, origin_icao;
