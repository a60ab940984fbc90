-- The content fingerprint of each partition's last successful load (one query for a group of
-- partitions of one source, not one per partition: load_log grows by hundreds of rows a night).
SELECT "partition", arg_max(content_sha256, finished_at) AS content_sha256
FROM load_log
WHERE source = $source AND "partition" IN (SELECT unnest($partitions))
  AND status IN ('loaded', 'unchanged')
GROUP BY "partition";
