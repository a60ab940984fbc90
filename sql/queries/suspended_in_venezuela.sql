-- Who may not fly to Venezuela today, since when, says who, and when did they actually stop?
SELECT carrier_icao, status, since, authority, last_flight_date, first_flight_after,
       action_id, source_url
FROM suspended_carriers
WHERE jurisdiction_country = 'VE'
ORDER BY since, carrier_icao;
