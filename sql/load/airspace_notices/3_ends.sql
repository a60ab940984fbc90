-- A cancellation (NOTAMC) or replacement (NOTAMR) ends the notice it names (replaces_notice_id)
-- at its own effective_start: ended_at and ended_by on the ended notice. Either may be loaded
-- first, on any night, so every notice this partition can affect is worked out again from the
-- table as it now stands: the notices it lists, those its notices name, and those its notices
-- ended before. Running it twice gives the same answer.
WITH staged AS (
    SELECT notice_key, notice_id, replaces_notice_id FROM read_parquet($staging_path)
),
affected AS (
    SELECT notice_id FROM staged
    UNION SELECT replaces_notice_id FROM staged WHERE replaces_notice_id IS NOT NULL
    UNION SELECT notice_id FROM airspace_notices
          WHERE ended_by IN (SELECT notice_key FROM staged)
),
-- Domestic and FDC ids repeat each year: the one named is the newest with that id issued no
-- later than the notice naming it. One never ends a notice issued after it.
named AS (
    SELECT ender.notice_key AS ended_by, ender.effective_start AS ended_at,
           ended.notice_key AS ended_key
    FROM airspace_notices AS ender
    JOIN airspace_notices AS ended
      ON ended.notice_id = ender.replaces_notice_id
     AND ended.notice_key <> ender.notice_key
     AND coalesce(ended.issued, ended.effective_start)
         <= coalesce(ender.issued, ender.effective_start)
    WHERE ender.replaces_notice_id IN (SELECT notice_id FROM affected)
    QUALIFY row_number() OVER (PARTITION BY ender.notice_key
                               ORDER BY coalesce(ended.issued, ended.effective_start) DESC,
                                        ended.notice_key DESC) = 1
),
-- Should two notices name the same one, the earlier end counts.
ends AS (
    SELECT ended_key, min(ended_at) AS ended_at, arg_min(ended_by, (ended_at, ended_by)) AS ended_by
    FROM named
    GROUP BY ended_key
),
recomputed AS (
    SELECT n.notice_key, e.ended_at, e.ended_by
    FROM airspace_notices AS n
    LEFT JOIN ends AS e ON e.ended_key = n.notice_key
    WHERE n.notice_id IN (SELECT notice_id FROM affected)
)
UPDATE airspace_notices AS n
SET ended_at = r.ended_at, ended_by = r.ended_by
FROM recomputed AS r
WHERE n.notice_key = r.notice_key
  AND (n.ended_at IS DISTINCT FROM r.ended_at OR n.ended_by IS DISTINCT FROM r.ended_by);
