-- carrier_status: every carrier's official status history as the whole registry tells it,
-- rebuilt on every load (the registry is small). The rules are those of carrier_status_known
-- (sql/views/010), whose flight evidence is carrier_evidence: for each act's effective and end
-- date (every period starts on one of them), the carrier's last day in the act's country
-- before it and its first day there from it, looked up here once a load, not by every query.
DELETE FROM carrier_evidence;

INSERT INTO carrier_evidence
WITH boundaries AS (
    SELECT DISTINCT carrier_icao, jurisdiction_country AS country,
           unnest([effective_date, end_date]) AS boundary
    FROM permit_actions
    WHERE carrier_icao IS NOT NULL
)
SELECT b.carrier_icao, b.country, b.boundary,
       (SELECT max(c.flight_date) FROM carrier_country_days c
         WHERE c.carrier_icao = b.carrier_icao AND c.country = b.country
           AND c.flight_date < b.boundary) AS last_flight_before,
       (SELECT min(c.flight_date) FROM carrier_country_days c
         WHERE c.carrier_icao = b.carrier_icao AND c.country = b.country
           AND c.flight_date >= b.boundary) AS first_flight_from
FROM boundaries b
WHERE b.boundary IS NOT NULL;

DELETE FROM carrier_status;

INSERT INTO carrier_status BY NAME
SELECT * FROM carrier_status_known(DATE '9999-12-31');
