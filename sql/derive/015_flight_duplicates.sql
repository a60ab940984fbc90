-- flight_duplicates for the touched days and the days beside them. Two flown rows of different
-- sources are one physical flight when they share carrier, origin and destination, and the
-- flight number or the aircraft (icao24), and left within 3 hours of each other (actual
-- departure, else scheduled). The row of the better-ranked source is kept: an airline's or an
-- authority's flight list (bts, anac_vra), then OpenSky's flight list, then OpenSky's live
-- API; the others are listed here with the kept row's id. Dates may differ by a day (flight
-- lists date a flight by its local day, OpenSky by the UTC day), so days beside the touched
-- ones are redone too, and any day whose duplicates changed is added to touched_dates.
CREATE OR REPLACE TEMP TABLE duplicate_days AS
SELECT DISTINCT d + CAST(k AS INTEGER) AS d FROM touched_dates, range(-1, 2) AS shift(k);

CREATE OR REPLACE TEMP TABLE duplicates_before AS
SELECT source, flight_id, flight_date, kept_source, kept_flight_id
FROM flight_duplicates WHERE flight_date IN (SELECT d FROM duplicate_days);

DELETE FROM flight_duplicates WHERE flight_date IN (SELECT d FROM duplicate_days);
INSERT INTO written_days SELECT 'flight_duplicates', d FROM duplicate_days;

INSERT INTO flight_duplicates
WITH flown AS (
    SELECT source, flight_id, flight_date, carrier_icao, flight_number, icao24,
           origin_icao, dest_icao, coalesce(dep_time_utc, sched_dep_utc) AS departed,
           CASE source WHEN 'opensky' THEN 2 WHEN 'opensky_flightlist' THEN 1 ELSE 0 END
               AS source_rank
    FROM flights
    -- no day touched: an empty range, which skips every row group (NULL bounds would not)
    WHERE flight_date BETWEEN (SELECT coalesce(min(d), DATE '9999-12-31') - 1 FROM duplicate_days)
                          AND (SELECT coalesce(max(d), DATE '0001-01-01') + 1 FROM duplicate_days)
      AND status IN ('observed', 'completed', 'diverted')
      AND carrier_icao IS NOT NULL AND origin_icao IS NOT NULL AND dest_icao IS NOT NULL
      AND coalesce(dep_time_utc, sched_dep_utc) IS NOT NULL
),
several_sources AS (  -- most nights have one flight source: nothing to compare
    SELECT count(DISTINCT source) > 1 AS yes FROM flown
),
candidate AS (  -- each row, once per day a matching row of another source may be dated
    SELECT f.*, f.flight_date + CAST(k AS INTEGER) AS match_date
    FROM flown f, range(-1, 2) AS shift(k), several_sources s
    WHERE s.yes AND f.flight_date IN (SELECT d FROM duplicate_days)
)
SELECT c.source, c.flight_id, c.flight_date, k.source AS kept_source,
       k.flight_id AS kept_flight_id
FROM candidate c
JOIN flown k
  ON k.flight_date = c.match_date
 AND k.carrier_icao = c.carrier_icao
 AND k.origin_icao = c.origin_icao
 AND k.dest_icao = c.dest_icao
WHERE (k.source_rank, k.source) < (c.source_rank, c.source)
  AND (k.flight_number = c.flight_number OR k.icao24 = c.icao24)
  AND abs(epoch(k.departed) - epoch(c.departed)) <= 3 * 3600
QUALIFY row_number() OVER (
    PARTITION BY c.source, c.flight_id
    ORDER BY abs(epoch(k.departed) - epoch(c.departed)), k.source_rank, k.source, k.flight_id
) = 1;

INSERT INTO touched_dates
SELECT flight_date FROM (
    (SELECT * FROM duplicates_before
     EXCEPT SELECT * FROM flight_duplicates WHERE flight_date IN (SELECT d FROM duplicate_days))
    UNION ALL
    (SELECT * FROM flight_duplicates WHERE flight_date IN (SELECT d FROM duplicate_days)
     EXCEPT SELECT * FROM duplicates_before)
);
