-- The content fingerprint of a partition's last successful load, and the rows it left.
SELECT l.content_sha256,
       (SELECT count(*) FROM flights f
         WHERE f.source = $source AND f.source_partition = $partition) AS rows_in_table
FROM load_log l
WHERE l.source = $source AND l."partition" = $partition AND l.status IN ('loaded', 'unchanged')
ORDER BY l.finished_at DESC
LIMIT 1;
