-- A flight that another partition of the source already gives is stored once: the copy from
-- the newer raw fetch wins (on equal fetch times, the greater partition name), and the other
-- copy waits in flight_copies. A flight keeps its flight_id, and so its flight_date.
CREATE OR REPLACE TEMP TABLE flight_overlap AS
SELECT s.flight_id, s.source_partition AS staged_partition, f.source_partition AS held_by,
       -- a row with no fetch time (loaded before it was recorded) is the older one
       (coalesce(f.fetched_at, TIMESTAMP '-infinity'), f.source_partition)
           < (s.fetched_at, s.source_partition) AS staged_wins
FROM staged_flights s
JOIN flights f ON f.flight_id = s.flight_id
WHERE s.copy_rank = 1
  AND f.source = $source
  AND f.flight_date IN (SELECT DISTINCT flight_date FROM staged_flights);

INSERT INTO flight_copies BY NAME
SELECT f.*
FROM flights f
SEMI JOIN flight_overlap o ON o.flight_id = f.flight_id AND o.staged_wins
WHERE f.source = $source
  AND f.flight_date IN (SELECT DISTINCT flight_date FROM staged_flights);

DELETE FROM flights
WHERE source = $source
  AND flight_id IN (SELECT flight_id FROM flight_overlap WHERE staged_wins);

INSERT INTO flight_copies BY NAME
SELECT * EXCLUDE (copy_rank) FROM staged_flights
WHERE copy_rank > 1
   OR flight_id IN (SELECT flight_id FROM flight_overlap WHERE NOT staged_wins);

INSERT INTO flights BY NAME
SELECT * EXCLUDE (copy_rank) FROM staged_flights
WHERE copy_rank = 1
  AND flight_id NOT IN (SELECT flight_id FROM flight_overlap WHERE NOT staged_wins);

INSERT INTO touched_dates SELECT DISTINCT flight_date FROM staged_flights;
