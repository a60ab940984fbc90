-- Carrier restrictions (any status but authorized) that began or ended from $window_start to
-- $day, as known on $day, for carriers of the watched countries or restricted in one.
-- valid_to is exclusive: the day a restriction ends is the first day it is no longer in force.
WITH names AS (
    SELECT airline_icao, min(name) AS name, min(country) AS country FROM airlines GROUP BY 1
),
restrictions AS (
    SELECT s.carrier_icao, coalesce(n.name, s.carrier_name, p.carrier_name) AS carrier_name,
           s.jurisdiction_country, s.status, s.valid_from, s.valid_to, s.authority,
           s.action_id, p.source_url, s.last_flight_before
    FROM carrier_status_known($day) s
    JOIN permit_actions p USING (action_id)
    LEFT JOIN names n ON n.airline_icao = s.carrier_icao
    WHERE s.status <> 'authorized'
      AND (list_contains($countries, s.jurisdiction_country)
           OR list_contains($countries, n.country))
)
SELECT 'new' AS change, valid_from AS changed_on, *
FROM restrictions WHERE valid_from BETWEEN $window_start AND $day
UNION ALL
SELECT 'ended' AS change, valid_to AS changed_on, *
FROM restrictions WHERE valid_to BETWEEN $window_start AND $day
ORDER BY changed_on DESC, change, carrier_icao, jurisdiction_country;
