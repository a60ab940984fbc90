-- one successful load per watched airport-day, as the nights would have logged
INSERT INTO load_log (run_id, source, "partition", rows, raw_sha256, content_sha256,
                      started_at, finished_at, status, message)
WITH days AS (
    SELECT unnest(generate_series($first_day::DATE, $last_day::DATE, INTERVAL 1 DAY))::DATE
           AS day
),
loaded AS (SELECT source_partition, count(*) AS n FROM flights GROUP BY ALL)
SELECT 'bench-history', 'opensky', p.source_partition, coalesce(l.n, 0), 'synthetic',
       'synthetic', TIMESTAMP '2000-01-01', TIMESTAMP '2000-01-01', 'loaded', ''
FROM (SELECT strftime(d.day, '%Y-%m-%d') || '/' || w.airport AS source_partition
      FROM days d CROSS JOIN bench_watched w) p
LEFT JOIN loaded l USING (source_partition);
