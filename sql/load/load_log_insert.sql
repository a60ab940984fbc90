-- One load_log row per partition, all in one statement: each list holds one entry per
-- partition, in the same order.
INSERT INTO load_log (run_id, source, "partition", rows, raw_sha256, content_sha256,
                      started_at, finished_at, status, message, merged)
SELECT $run_id, unnest($sources), unnest($partitions), unnest($rows), unnest($raw_sha256s),
       unnest($content_sha256s), $started_at, $finished_at, unnest($statuses),
       unnest($messages), unnest($merged);
