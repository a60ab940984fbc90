-- The newest UTC day with a successfully loaded partition (snapshots have no day).
SELECT max(try_cast(split_part("partition", '/', 1) AS DATE))
FROM load_log
WHERE status IN ('loaded', 'unchanged');
