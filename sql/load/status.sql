-- The last load of every partition: what `fdp status` prints.
SELECT source, "partition", status, rows, finished_at, run_id, message
FROM load_log
QUALIFY row_number() OVER (PARTITION BY source, "partition" ORDER BY started_at DESC) = 1
ORDER BY source, "partition";
