-- The days the open transaction wrote (temp table written_days, filled by sql/load and
-- sql/derive), recorded under the clock's next value for the publish to copy.
UPDATE fdp_publish.clock SET seq = seq + 1
WHERE EXISTS (SELECT 1 FROM written_days);

INSERT INTO fdp_publish.changes
SELECT DISTINCT (SELECT seq FROM fdp_publish.clock), table_name, flight_date
FROM written_days;

DELETE FROM written_days;
