-- Service shifts whose judging was over by $day (their suspension's 14th day), for suspensions
-- of the 28 days before: figures that later nights no longer change, so a report made later
-- shows what the night's did. Touching a watched country at either airport or the kept end.
SELECT h.suspended_on, h.carrier_icao, n.name AS carrier_name,
       h.lost_origin_icao AS origin_icao, lo.city AS origin_city,
       h.lost_dest_icao AS dest_icao, ld.city AS dest_city,
       h.new_origin_icao, no.city AS new_origin_city, h.new_dest_icao, nd.city AS new_dest_city,
       h.distance_km, h.lost_weekly_flights, h.new_weekly_before, h.new_weekly_after,
       lo.lat AS origin_lat, lo.lon AS origin_lon, ld.lat AS dest_lat, ld.lon AS dest_lon,
       no.lat AS new_origin_lat, no.lon AS new_origin_lon,
       nd.lat AS new_dest_lat, nd.lon AS new_dest_lon
FROM service_shifts h
LEFT JOIN (SELECT airline_icao, min(name) AS name FROM airlines GROUP BY 1) n
  ON n.airline_icao = h.carrier_icao
LEFT JOIN airports lo ON lo.airport_icao = h.lost_origin_icao
LEFT JOIN airports ld ON ld.airport_icao = h.lost_dest_icao
LEFT JOIN airports no ON no.airport_icao = h.new_origin_icao
LEFT JOIN airports nd ON nd.airport_icao = h.new_dest_icao
WHERE h.suspended_on + 13 <= $day AND h.suspended_on >= $plot_start - 14
  AND (list_contains($countries, lo.country) OR list_contains($countries, ld.country)
       OR list_contains($countries, no.country) OR list_contains($countries, nd.country))
ORDER BY h.suspended_on DESC, h.carrier_icao, origin_icao, dest_icao, h.new_origin_icao,
         h.new_dest_icao;
