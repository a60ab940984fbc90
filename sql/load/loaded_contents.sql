-- The raw inputs (by sha256) behind the partitions of $source whose last load succeeded, with
-- those partitions: how `fdp import` knows a file's content is already loaded.
SELECT raw_sha256, list("partition" ORDER BY "partition") AS partitions
FROM (
    SELECT raw_sha256, "partition", status
    FROM load_log
    WHERE source = $source
    QUALIFY row_number() OVER (PARTITION BY "partition" ORDER BY started_at DESC) = 1
)
WHERE status IN ('loaded', 'unchanged')
GROUP BY raw_sha256;
