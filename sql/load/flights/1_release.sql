-- Drop what those partitions gave last time, in flights and among the waiting copies. Their
-- days are redone by the route and traffic steps (touched_dates). Each filter also bounds
-- source_partition by the first and last of them: redundant, but DuckDB then skips the row
-- groups of other nights by their min/max (a night's partitions share a date prefix), where
-- the IN alone reads the column for the whole history (0.5 s a night on a year).
CREATE OR REPLACE TEMP TABLE staged_span AS
SELECT min(source_partition) AS first_partition, max(source_partition) AS last_partition
FROM staged_partitions;

CREATE OR REPLACE TEMP TABLE released_flights AS
SELECT flight_id, flight_date FROM flights
WHERE source = $source AND source_partition IN (SELECT source_partition FROM staged_partitions)
  AND source_partition BETWEEN (SELECT first_partition FROM staged_span)
                           AND (SELECT last_partition FROM staged_span);

INSERT INTO touched_dates SELECT DISTINCT flight_date FROM released_flights;

DELETE FROM flights
WHERE source = $source AND source_partition IN (SELECT source_partition FROM staged_partitions)
  AND source_partition BETWEEN (SELECT first_partition FROM staged_span)
                           AND (SELECT last_partition FROM staged_span);

-- The days whose waiting copies change: the publish copies them (pipeline/store/publish.py).
INSERT INTO written_days
SELECT DISTINCT 'flight_copies', flight_date FROM flight_copies
WHERE source = $source AND source_partition IN (SELECT source_partition FROM staged_partitions)
  AND source_partition BETWEEN (SELECT first_partition FROM staged_span)
                           AND (SELECT last_partition FROM staged_span);

DELETE FROM flight_copies
WHERE source = $source AND source_partition IN (SELECT source_partition FROM staged_partitions)
  AND source_partition BETWEEN (SELECT first_partition FROM staged_span)
                           AND (SELECT last_partition FROM staged_span);
