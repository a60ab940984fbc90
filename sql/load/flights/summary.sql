-- What each partition's load merged: its staged flights that other partitions of the source
-- also give (stored ones, or another of tonight's). Each stays with the newest fetch's copy.
WITH merges AS (
    SELECT staged_partition AS source_partition, held_by, staged_wins FROM flight_overlap
    UNION ALL  -- tonight's copies that lost to another of tonight's partitions
    SELECT s.source_partition, w.source_partition, false
    FROM staged_flights s
    JOIN staged_flights w ON w.flight_id = s.flight_id AND w.copy_rank = 1
    WHERE s.copy_rank > 1
)
SELECT p.source_partition, count(m.held_by) AS merged,
       CASE WHEN count(m.held_by) > 0 THEN
           format('{} flight(s) also given by other partitions, kept from the newest fetch: '
                  '{} taken over{}, {} left with the other partition{}',
                  count(m.held_by),
                  count(*) FILTER (WHERE m.staged_wins),
                  coalesce(' from ' || string_agg(DISTINCT m.held_by, ', ' ORDER BY m.held_by)
                                       FILTER (WHERE m.staged_wins), ''),
                  count(*) FILTER (WHERE NOT m.staged_wins),
                  coalesce(' (' || string_agg(DISTINCT m.held_by, ', ' ORDER BY m.held_by)
                                   FILTER (WHERE NOT m.staged_wins) || ')', ''))
       END AS message
FROM staged_partitions p
LEFT JOIN merges m USING (source_partition)
GROUP BY p.source_partition;
