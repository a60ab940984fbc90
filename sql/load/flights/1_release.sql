-- Drop what those partitions gave last time, in flights and among the waiting copies. Their
-- days are redone by the route and traffic steps (touched_dates). released() also bounds
-- source_partition by the first and last of them: redundant, but DuckDB then skips the row
-- groups of other nights by their min/max (a night's partitions share a date prefix), where
-- the IN alone reads the column for the whole history (0.5 s a night on a year).
CREATE OR REPLACE TEMP MACRO released(partition_name) AS
    partition_name IN (SELECT source_partition FROM staged_partitions)
    AND partition_name BETWEEN (SELECT min(source_partition) FROM staged_partitions)
                           AND (SELECT max(source_partition) FROM staged_partitions);

CREATE OR REPLACE TEMP TABLE released_flights AS
SELECT flight_id, flight_date FROM flights
WHERE source = $source AND released(source_partition);

INSERT INTO touched_dates SELECT DISTINCT flight_date FROM released_flights;

DELETE FROM flights WHERE source = $source AND released(source_partition);

-- The days whose waiting copies change: the publish copies them (pipeline/store/publish.py).
INSERT INTO written_days
SELECT DISTINCT 'flight_copies', flight_date FROM flight_copies
WHERE source = $source AND released(source_partition);

DELETE FROM flight_copies WHERE source = $source AND released(source_partition);
