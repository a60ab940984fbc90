-- A backfilled older night may have seen a notice first.
UPDATE airspace_notices AS n
SET first_seen_partition = s.source_partition
FROM read_parquet($staging_path) AS s
WHERE n.notice_key = s.notice_key AND s.source_partition < n.first_seen_partition;
