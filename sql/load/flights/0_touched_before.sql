-- The days whose rows this load replaces: the route and traffic tables are redone for them.
INSERT INTO touched_dates
SELECT DISTINCT flight_date FROM flights WHERE source = $source AND source_partition = $partition;
