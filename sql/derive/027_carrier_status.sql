-- carrier_status: official status history per carrier and jurisdiction, rebuilt from
-- permit_actions on every load (the registry is small; a full rebuild is simplest and exact).
--
-- Rules:
--   * revoked / suspended / banned / restricted start that status on effective_date;
--   * restored starts 'authorized' on effective_date;
--   * an end_date ends a status: 'authorized' from end_date, unless another act of the same
--     carrier and jurisdiction takes effect on or before that day;
--   * a status lasts until the next one starts (valid_to exclusive; NULL = still in force);
--   * voluntary suspensions/resumptions, sanctions and airspace acts are evidence, not status;
--   * acts without a carrier_icao (country-wide measures) have no carrier to attach to.
DELETE FROM carrier_status;

INSERT INTO carrier_status
WITH acts AS (
    SELECT carrier_icao, jurisdiction_country, action_id, authority, effective_date, end_date,
           CASE action WHEN 'restored' THEN 'authorized' ELSE action END AS status
    FROM permit_actions
    WHERE carrier_icao IS NOT NULL
      AND action IN ('revoked', 'suspended', 'banned', 'restricted', 'restored')
),
ends AS (  -- an end_date that no later act pre-empts
    SELECT a.carrier_icao, a.jurisdiction_country, a.action_id, a.authority,
           a.end_date AS effective_date, 'authorized' AS status
    FROM acts a
    WHERE a.end_date IS NOT NULL
      AND a.status <> 'authorized'
      AND NOT EXISTS (
          SELECT 1 FROM acts later
          WHERE later.carrier_icao = a.carrier_icao
            AND later.jurisdiction_country = a.jurisdiction_country
            AND later.action_id <> a.action_id
            AND later.effective_date > a.effective_date
            AND later.effective_date <= a.end_date)
),
events AS (
    SELECT carrier_icao, jurisdiction_country, action_id, authority, effective_date, status,
           0 AS implicit FROM acts
    UNION ALL
    SELECT carrier_icao, jurisdiction_country, action_id, authority, effective_date, status,
           1 AS implicit FROM ends
),
periods AS (
    SELECT *,
           lead(effective_date) OVER (
               PARTITION BY carrier_icao, jurisdiction_country
               ORDER BY effective_date, implicit, action_id) AS valid_to
    FROM events
),
legs AS (  -- both ends of every flown flight of the acts' carriers (equi-joins scale; OR does not)
    SELECT carrier_icao, flight_date, origin_icao AS airport_icao
    FROM flights
    WHERE carrier_icao IN (SELECT carrier_icao FROM acts)
      AND status IN ('observed', 'completed', 'diverted')
    UNION ALL
    SELECT carrier_icao, flight_date, dest_icao
    FROM flights
    WHERE carrier_icao IN (SELECT carrier_icao FROM acts)
      AND status IN ('observed', 'completed', 'diverted')
),
country_flights AS (  -- one row per carrier, country of an act of it, and day it flew there
    SELECT DISTINCT l.carrier_icao, a.country, l.flight_date
    FROM legs l
    JOIN airports a USING (airport_icao)
    JOIN (SELECT DISTINCT carrier_icao, jurisdiction_country AS country FROM acts) j
      ON j.carrier_icao = l.carrier_icao AND j.country = a.country
)
SELECT p.carrier_icao, p.jurisdiction_country, p.status,
       p.effective_date AS valid_from,
       p.valid_to,
       p.authority, p.action_id,
       (SELECT max(c.flight_date) FROM country_flights c
         WHERE c.carrier_icao = p.carrier_icao AND c.country = p.jurisdiction_country
           AND c.flight_date < p.effective_date) AS last_flight_before,
       (SELECT min(c.flight_date) FROM country_flights c
         WHERE c.carrier_icao = p.carrier_icao AND c.country = p.jurisdiction_country
           AND c.flight_date >= p.effective_date) AS first_flight_after
FROM periods p
WHERE p.valid_to IS NULL OR p.valid_to > p.effective_date;  -- drop zero-length periods
