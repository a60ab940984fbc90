-- Drop what those partitions gave last time, in flights and among the waiting copies. Their
-- days are redone by the route and traffic steps (touched_dates).
CREATE OR REPLACE TEMP TABLE released_flights AS
SELECT flight_id, flight_date FROM flights
WHERE source = $source AND source_partition IN (SELECT source_partition FROM staged_partitions);

INSERT INTO touched_dates SELECT DISTINCT flight_date FROM released_flights;

DELETE FROM flights
WHERE source = $source AND source_partition IN (SELECT source_partition FROM staged_partitions);

-- The days whose waiting copies change: the publish copies them (pipeline/store/publish.py).
INSERT INTO written_days
SELECT DISTINCT 'flight_copies', flight_date FROM flight_copies
WHERE source = $source AND source_partition IN (SELECT source_partition FROM staged_partitions);

DELETE FROM flight_copies
WHERE source = $source AND source_partition IN (SELECT source_partition FROM staged_partitions);
