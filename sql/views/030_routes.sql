-- Route history and traffic views (the route tables are filled by sql/derive/0[2-4]0_*.sql).

-- Route status over time: active from its first flight in the data, suspended from a
-- suspension's event_date, active again from a resumption. valid_to exclusive, NULL = now.
CREATE OR REPLACE VIEW route_status AS
WITH changes AS (
    SELECT carrier_icao, origin_icao, dest_icao, min(flight_date) AS valid_from,
           'active' AS status
    FROM route_daily WHERE flights > 0 GROUP BY ALL
    UNION ALL
    SELECT carrier_icao, origin_icao, dest_icao, event_date,
           CASE event_type WHEN 'suspended' THEN 'suspended' ELSE 'active' END
    FROM route_events WHERE event_type IN ('suspended', 'resumed')
)
SELECT carrier_icao, origin_icao, dest_icao, status, valid_from,
       lead(valid_from) OVER (PARTITION BY carrier_icao, origin_icao, dest_icao
                              ORDER BY valid_from) AS valid_to
FROM changes;

CREATE OR REPLACE MACRO route_status_asof(d) AS TABLE
    SELECT * FROM route_status
    WHERE valid_from <= CAST(d AS DATE) AND (valid_to IS NULL OR valid_to > CAST(d AS DATE));

-- Route events with carrier and airport names, newest first.
CREATE OR REPLACE VIEW route_changes AS
SELECT e.event_date, e.event_type, e.carrier_icao, l.name AS carrier_name,
       e.origin_icao, o.name AS origin_name, o.country AS origin_country,
       e.dest_icao, d.name AS dest_name, d.country AS dest_country,
       e.last_flight_date, e.detected_on, e.baseline_weekly_flights, e.confidence,
       e.evidence
FROM route_events e
LEFT JOIN airlines l
  ON l.airline_icao = e.carrier_icao
 AND (l.valid_from IS NULL OR l.valid_from <= e.event_date)
 AND (l.valid_to IS NULL OR l.valid_to > e.event_date)
LEFT JOIN airports o ON o.airport_icao = e.origin_icao
LEFT JOIN airports d ON d.airport_icao = e.dest_icao
ORDER BY e.event_date DESC, e.carrier_icao, e.origin_icao, e.dest_icao;
