INSERT INTO load_log (run_id, source, "partition", rows, raw_sha256, content_sha256,
                      started_at, finished_at, status, message, merged)
VALUES ($run_id, $source, $partition, $rows, $raw_sha256, $content_sha256,
        $started_at, $finished_at, $status, $message, $merged);
