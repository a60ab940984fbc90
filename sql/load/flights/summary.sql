-- What the load merged: staged flights that other partitions of the source also gave. Each
-- stays with the copy of the newest fetch (sql/load/flights/2_merge.sql).
SELECT count(*) AS merged,
       CASE WHEN count(*) > 0 THEN
           format('{} flight(s) also given by other partitions, kept from the newest fetch: '
                  '{} taken over{}, {} left with the other partition{}',
                  count(*),
                  count(*) FILTER (WHERE staged_wins),
                  coalesce(' from ' || string_agg(DISTINCT held_by, ', ' ORDER BY held_by)
                                       FILTER (WHERE staged_wins), ''),
                  count(*) FILTER (WHERE NOT staged_wins),
                  coalesce(' (' || string_agg(DISTINCT held_by, ', ' ORDER BY held_by)
                                   FILTER (WHERE NOT staged_wins) || ')', ''))
       END AS message
FROM flight_overlap;
