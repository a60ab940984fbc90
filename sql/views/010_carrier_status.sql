-- Carrier statuses. Dates are UTC days; history intervals are [valid_from, valid_to). Every
-- file in sql/views/ is re-applied, in order, on each migrate.
--
-- The rules (docs/tables.md, "Carrier status"):
--   * revoked, suspended, banned and restricted acts start that status on their
--     effective_date; a sanction (sanctioned) starts restricted;
--   * a restored act, or the carrier's own resumption (voluntary_resumption), starts
--     authorized; a resumption with no restriction in force to end says nothing;
--   * an act's effect lasts until the next act for the same carrier and jurisdiction takes
--     effect, or until its end_date (then authorized), whichever comes first;
--   * jurisdiction_country is the registry's: the country (or EU) whose permission or market
--     the act withdraws, e.g. OFAC's sanctions on Conviasa are US;
--   * a carrier is its ICAO designator; an act that names a carrier without one (an
--     unverified designator) keys it by its name, with no flight evidence;
--   * voluntary suspensions and airspace acts are evidence, not status (permit_actions);
--   * "as known on day d" uses only the acts announced by d (announced_date, else
--     effective_date), so what is said about d, said later, is the same.

-- Every carrier's status periods as the registry stood on day d, with the flight evidence up
-- to d: the last day the carrier flew to, from or within the country before the period, and
-- its first day there from the period's start.
CREATE OR REPLACE MACRO carrier_status_known(d) AS TABLE
WITH acts AS (
    SELECT coalesce(carrier_icao, carrier_name) AS carrier_key, carrier_icao, carrier_name,
           jurisdiction_country, action_id, authority, action, effective_date, end_date,
           CASE WHEN action IN ('restored', 'voluntary_resumption') THEN 'authorized'
                WHEN action = 'sanctioned' THEN 'restricted'
                ELSE action END AS status
    FROM permit_actions
    WHERE action IN ('revoked', 'suspended', 'banned', 'restricted', 'sanctioned', 'restored',
                     'voluntary_resumption')
      AND coalesce(carrier_icao, carrier_name) IS NOT NULL
      AND coalesce(announced_date, effective_date) <= CAST(d AS DATE)
),
ends AS (  -- an end_date that no later act pre-empts returns the carrier to authorized
    SELECT a.carrier_key, a.carrier_icao, a.carrier_name, a.jurisdiction_country, a.action_id,
           a.authority, 'end_date' AS action, a.end_date AS effective_date,
           'authorized' AS status
    FROM acts a
    WHERE a.end_date IS NOT NULL
      AND a.status <> 'authorized'
      AND NOT EXISTS (
          SELECT 1 FROM acts later
          WHERE later.carrier_key = a.carrier_key
            AND later.jurisdiction_country = a.jurisdiction_country
            AND later.action_id <> a.action_id
            AND later.effective_date > a.effective_date
            AND later.effective_date <= a.end_date)
),
events AS (
    SELECT carrier_key, carrier_icao, carrier_name, jurisdiction_country, action_id, authority,
           action, effective_date, status, 0 AS implicit
    FROM acts
    UNION ALL
    SELECT carrier_key, carrier_icao, carrier_name, jurisdiction_country, action_id, authority,
           action, effective_date, status, 1 AS implicit
    FROM ends
),
changes AS (
    SELECT *
    FROM events
    QUALIFY NOT (action = 'voluntary_resumption'
                 AND coalesce(lag(status) OVER (
                         PARTITION BY carrier_key, jurisdiction_country
                         ORDER BY effective_date, implicit, action_id), 'authorized')
                     = 'authorized')
),
periods AS (
    SELECT *,
           lead(effective_date) OVER next AS valid_to,
           -- the act whose effect ends the period (NULL: the act's own end_date does)
           CASE WHEN lead(implicit) OVER next = 0 THEN lead(action_id) OVER next END
               AS ended_by
    FROM changes
    WINDOW next AS (PARTITION BY carrier_key, jurisdiction_country
                    ORDER BY effective_date, implicit, action_id)
)
SELECT p.carrier_icao, p.jurisdiction_country, p.status,
       p.effective_date AS valid_from, p.valid_to, p.authority, p.action_id,
       e.last_flight_before,
       CASE WHEN e.first_flight_from <= CAST(d AS DATE) THEN e.first_flight_from END
           AS first_flight_after,
       p.carrier_name, p.ended_by
FROM periods p
-- the evidence at the period's start, kept by sql/derive/027 (a period starts on an act's
-- effective_date or end_date)
LEFT JOIN carrier_evidence e
  ON e.carrier_icao = p.carrier_icao AND e.country = p.jurisdiction_country
 AND e.boundary = p.effective_date
WHERE p.valid_to IS NULL OR p.valid_to > p.effective_date;  -- drop zero-length periods

-- Every carrier's status in every jurisdiction on day d, as known on d.
CREATE OR REPLACE MACRO carrier_status_asof(d) AS TABLE
    SELECT *
    FROM carrier_status_known(d)
    WHERE valid_from <= CAST(d AS DATE)
      AND (valid_to IS NULL OR valid_to > CAST(d AS DATE));

-- Carriers suspended, revoked, banned or restricted on day d (as known on d), with the act,
-- the evidence, and what a user should know before acting on it: a later record that ends
-- the status (until, ended_by), the act's tags (e.g. disputed-legal-form), a carrier the
-- registry names without an ICAO designator.
CREATE OR REPLACE MACRO restricted_carriers_asof(d) AS TABLE
    SELECT s.carrier_icao,
           coalesce(s.carrier_name, p.carrier_name) AS carrier_name,
           s.jurisdiction_country,
           s.status,
           s.valid_from AS since,
           s.authority,
           s.action_id,
           p.source_url,
           s.last_flight_before AS last_flight_date,
           s.first_flight_after,
           s.valid_to AS until,
           s.ended_by,
           p.tags,
           nullif(concat_ws('; ',
               CASE WHEN s.ended_by IS NOT NULL THEN
                   format('a later record, {}{}, ends it on {}', s.ended_by,
                          coalesce(' [' || later.tags || ']', ''), s.valid_to)
                    WHEN s.valid_to IS NOT NULL THEN
                   format('its end_date ends it on {}', s.valid_to) END,
               CASE WHEN p.tags LIKE '%conflict%' OR p.tags LIKE '%disputed%'
                         OR p.tags LIKE '%unconfirmed%' OR p.tags LIKE '%uncertain%' THEN
                   format('sources disagree about this act [{}]', p.tags) END,
               CASE WHEN s.carrier_icao IS NULL THEN
                   'the registry names this carrier without an ICAO designator, so its '
                   || 'flights cannot be matched' END), '') AS note
    FROM carrier_status_asof(d) s
    JOIN permit_actions p USING (action_id)
    LEFT JOIN permit_actions later ON later.action_id = s.ended_by
    WHERE s.status <> 'authorized';

-- The same, today (UTC).
CREATE OR REPLACE VIEW suspended_carriers AS
SELECT * FROM restricted_carriers_asof(CAST(timezone('UTC', now()) AS DATE));
