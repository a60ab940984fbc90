-- The content fingerprint of a partition's last successful load.
SELECT content_sha256
FROM load_log
WHERE source = $source AND "partition" = $partition AND status IN ('loaded', 'unchanged')
ORDER BY finished_at DESC
LIMIT 1;
