-- The NOTAM API answers with the notices current at fetch time, so one NOTAM shows up night
-- after night. Keep one row per notice_key: the newest night's copy wins (a backfill of an older
-- night never overwrites it), and first_seen_partition remembers when it first appeared.
-- ended_at and ended_by are not the API's: 3_ends.sql keeps them.
INSERT INTO airspace_notices BY NAME
SELECT * REPLACE (timezone('UTC', effective_start) AS effective_start,
                  timezone('UTC', effective_end) AS effective_end,
                  timezone('UTC', issued) AS issued),
       source_partition AS first_seen_partition,
       $run_id AS run_id, $loaded_at AS loaded_at
FROM read_parquet($staging_path)
ON CONFLICT (notice_key) DO UPDATE SET
    notice_id = excluded.notice_id, issuer = excluded.issuer, fir = excluded.fir,
    affected_fir = excluded.affected_fir, location = excluded.location,
    classification = excluded.classification, notam_type = excluded.notam_type,
    replaces_notice_id = excluded.replaces_notice_id,
    category = excluded.category, effective_start = excluded.effective_start,
    effective_end = excluded.effective_end, end_estimated = excluded.end_estimated,
    lower_fl = excluded.lower_fl, upper_fl = excluded.upper_fl, issued = excluded.issued,
    text = excluded.text, source_url = excluded.source_url,
    source_partition = excluded.source_partition,
    first_seen_partition = least(airspace_notices.first_seen_partition,
                                 excluded.first_seen_partition),
    run_id = excluded.run_id, loaded_at = excluded.loaded_at
WHERE excluded.source_partition >= airspace_notices.source_partition;
