-- A flight those partitions held and no longer give, that another partition gave too: the
-- newest waiting copy takes its place, so nothing another partition still lists is lost.
CREATE OR REPLACE TEMP TABLE promoted_copies AS
SELECT *
FROM flight_copies
WHERE source = $source
  AND flight_id IN (SELECT flight_id FROM released_flights)
  AND flight_id NOT IN (
      SELECT flight_id FROM flights
      WHERE source = $source
        AND flight_date IN (SELECT DISTINCT flight_date FROM released_flights))
QUALIFY row_number() OVER (PARTITION BY flight_id
                           ORDER BY fetched_at DESC NULLS LAST,
                                    source_partition DESC) = 1;

INSERT INTO flights BY NAME SELECT * FROM promoted_copies;

DELETE FROM flight_copies AS c
USING promoted_copies AS p
WHERE c.source = p.source AND c.flight_id = p.flight_id
  AND c.source_partition = p.source_partition;

-- Every flight and waiting copy these steps wrote lies on a touched day (a flight keeps its
-- day): what the publish copies (pipeline/store/publish.py).
INSERT INTO written_days
SELECT t.table_name, d.d
FROM (SELECT DISTINCT d FROM touched_dates) d, (VALUES ('flights'), ('flight_copies')) t(table_name);
