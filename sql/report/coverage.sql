-- The last load attempt of every dated partition from $plot_start to $day: what the report
-- stands on, and (with the raw zone) whether it was synthetic demo data.
SELECT source, "partition", day, status, run_id, finished_at, raw_sha256
FROM (SELECT *, try_cast(split_part("partition", '/', 1) AS DATE) AS day FROM load_log)
WHERE day BETWEEN $plot_start AND $day
QUALIFY row_number() OVER (PARTITION BY source, "partition" ORDER BY started_at DESC) = 1
ORDER BY day, source, "partition";
