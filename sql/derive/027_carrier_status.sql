-- carrier_status: every carrier's official status history as the whole registry tells it,
-- rebuilt on every load (the registry is small). The rules are those of carrier_status_known
-- (sql/views/010), whose flight evidence is carrier_evidence: for each act's effective and end
-- date (every period starts on one of them), the carrier's last day in the act's country
-- before it and its first day there from it, kept here, not looked up by every query.
--
-- Incremental: the evidence changes only on the days sql/derive/025 rewrote (country_days).
-- A boundary keeps its days, or the rewritten days' flights nearer to it; a kept day that was
-- rewritten and has no flight there any more (nor a nearer one) is lost. A boundary that is
-- new (an act added or changed) or lost one of its days is looked up in carrier_country_days
-- again; a night with neither reads only its own days, not the history.
CREATE TEMP TABLE IF NOT EXISTS country_days (d DATE);  -- none when run alone (db.migrate)

CREATE OR REPLACE TEMP TABLE evidence_days AS  -- the rewritten days' flights of acts' carriers
SELECT c.carrier_icao, c.country, c.flight_date
FROM carrier_country_days c
SEMI JOIN (SELECT DISTINCT carrier_icao, jurisdiction_country AS country
           FROM permit_actions WHERE carrier_icao IS NOT NULL) a
  USING (carrier_icao, country)
WHERE c.flight_date IN (SELECT d FROM country_days);

CREATE OR REPLACE TEMP TABLE evidence_update AS
WITH boundaries AS (
    SELECT DISTINCT carrier_icao, jurisdiction_country AS country,
           unnest([effective_date, end_date]) AS boundary
    FROM permit_actions
    WHERE carrier_icao IS NOT NULL
),
rewritten AS (SELECT coalesce(list(d), []) AS days FROM country_days),
found AS (  -- each boundary's kept days, and the rewritten days' nearest flights
    SELECT b.carrier_icao, b.country, b.boundary, e.carrier_icao IS NULL AS new,
           e.last_flight_before AS kept_before, e.first_flight_from AS kept_from,
           coalesce(list_contains(r.days, e.last_flight_before), false) AS before_rewritten,
           coalesce(list_contains(r.days, e.first_flight_from), false) AS from_rewritten,
           (SELECT max(t.flight_date) FROM evidence_days t
            WHERE t.carrier_icao = b.carrier_icao AND t.country = b.country
              AND t.flight_date < b.boundary) AS rewritten_before,
           (SELECT min(t.flight_date) FROM evidence_days t
            WHERE t.carrier_icao = b.carrier_icao AND t.country = b.country
              AND t.flight_date >= b.boundary) AS rewritten_from
    FROM boundaries b
    CROSS JOIN rewritten r
    LEFT JOIN carrier_evidence e USING (carrier_icao, country, boundary)
    WHERE b.boundary IS NOT NULL
)
SELECT carrier_icao, country, boundary,
       -- a kept day that was rewritten stands only if the rewritten days still reach it
       new OR (before_rewritten AND coalesce(rewritten_before < kept_before, true))
           OR (from_rewritten AND coalesce(rewritten_from > kept_from, true)) AS look_up,
       greatest(kept_before, rewritten_before) AS last_flight_before,
       least(kept_from, rewritten_from) AS first_flight_from
FROM found;

DELETE FROM carrier_evidence;

INSERT INTO carrier_evidence
SELECT carrier_icao, country, boundary, last_flight_before, first_flight_from
FROM evidence_update
WHERE NOT look_up
UNION ALL
SELECT b.carrier_icao, b.country, b.boundary,
       (SELECT max(c.flight_date) FROM carrier_country_days c
         WHERE c.carrier_icao = b.carrier_icao AND c.country = b.country
           AND c.flight_date < b.boundary),
       (SELECT min(c.flight_date) FROM carrier_country_days c
         WHERE c.carrier_icao = b.carrier_icao AND c.country = b.country
           AND c.flight_date >= b.boundary)
FROM evidence_update b
WHERE b.look_up;

DELETE FROM carrier_status;

INSERT INTO carrier_status BY NAME
SELECT * FROM carrier_status_known(DATE '9999-12-31');
