-- Drop what the partition gave last time, in flights and among the waiting copies. Its days
-- are redone by the route and traffic steps (touched_dates).
CREATE OR REPLACE TEMP TABLE released_flights AS
SELECT flight_id, flight_date FROM flights
WHERE source = $source AND source_partition = $partition;

INSERT INTO touched_dates SELECT DISTINCT flight_date FROM released_flights;

DELETE FROM flights WHERE source = $source AND source_partition = $partition;
DELETE FROM flight_copies WHERE source = $source AND source_partition = $partition;
