-- A staged flight that another partition of the source already holds is stored once: the copy
-- from the newer raw fetch wins (on equal fetch times, the greater partition name), and the
-- other copy waits in flight_copies. A flight keeps its flight_id, and so its flight_date.
CREATE OR REPLACE TEMP TABLE flight_overlap AS
SELECT f.flight_id, f.source_partition AS held_by,
       -- a row with no fetch time (loaded before it was recorded) is the older one
       (coalesce(f.fetched_at, TIMESTAMP '-infinity'), f.source_partition)
           < (CAST($fetched_at AS TIMESTAMP), $partition) AS staged_wins
FROM flights f
WHERE f.source = $source
  AND f.flight_date IN (SELECT DISTINCT flight_date FROM staged_flights)
  AND f.flight_id IN (SELECT flight_id FROM staged_flights);

INSERT INTO flight_copies BY NAME
SELECT f.*
FROM flights f
JOIN flight_overlap o ON o.flight_id = f.flight_id AND o.staged_wins
WHERE f.source = $source
  AND f.flight_date IN (SELECT DISTINCT flight_date FROM staged_flights);

DELETE FROM flights
WHERE source = $source
  AND flight_id IN (SELECT flight_id FROM flight_overlap WHERE staged_wins);

INSERT INTO flight_copies BY NAME
SELECT * FROM staged_flights
WHERE flight_id IN (SELECT flight_id FROM flight_overlap WHERE NOT staged_wins);

INSERT INTO flights BY NAME
SELECT * FROM staged_flights
WHERE flight_id NOT IN (SELECT flight_id FROM flight_overlap WHERE NOT staged_wins);

INSERT INTO touched_dates SELECT DISTINCT flight_date FROM staged_flights;
