-- Partitions whose most recent load attempt succeeded.
SELECT source, "partition"
FROM load_log
QUALIFY row_number() OVER (PARTITION BY source, "partition" ORDER BY started_at DESC) = 1
    AND status IN ('loaded', 'unchanged');
