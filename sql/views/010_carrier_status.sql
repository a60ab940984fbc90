-- Carrier status views and macros. Dates are UTC days; history intervals are
-- [valid_from, valid_to). Every file in sql/views/ is re-applied, in order, on each migrate.

-- Official status of every carrier in every jurisdiction on day d.
CREATE OR REPLACE MACRO carrier_status_asof(d) AS TABLE
    SELECT *
    FROM carrier_status
    WHERE valid_from <= CAST(d AS DATE)
      AND (valid_to IS NULL OR valid_to > CAST(d AS DATE));

-- Carriers suspended, revoked, banned or restricted today, with the act and the evidence.
CREATE OR REPLACE VIEW suspended_carriers AS
SELECT s.carrier_icao,
       p.carrier_name,
       s.jurisdiction_country,
       s.status,
       s.valid_from AS since,
       s.authority,
       s.action_id,
       p.source_url,
       s.last_flight_before AS last_flight_date,
       s.first_flight_after
FROM carrier_status_asof(current_date) s
JOIN permit_actions p USING (action_id)
WHERE s.status IN ('suspended', 'revoked', 'banned', 'restricted');
