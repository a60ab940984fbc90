-- What the load merged: staged flights that other partitions of the source also gave.
SELECT count(*) AS merged,
       CASE WHEN count(*) > 0 THEN
           format('{} flight(s) also given by other partitions: {} taken over from older '
                  'fetches{}, {} left with newer ones{}',
                  count(*),
                  count(*) FILTER (WHERE staged_wins),
                  coalesce(' (' || string_agg(DISTINCT held_by, ', ' ORDER BY held_by)
                                   FILTER (WHERE staged_wins) || ')', ''),
                  count(*) FILTER (WHERE NOT staged_wins),
                  coalesce(' (' || string_agg(DISTINCT held_by, ', ' ORDER BY held_by)
                                   FILTER (WHERE NOT staged_wins) || ')', ''))
       END AS message
FROM flight_overlap;
