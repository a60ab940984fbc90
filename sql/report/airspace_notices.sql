-- Airspace notices in force at any moment of $day that the pipeline had seen by that night.
SELECT notice_id, fir, location, category, effective_start, effective_end, end_estimated,
       lower_fl, upper_fl, split_part(trim(text), chr(10), 1) AS first_line, source_url,
       try_cast(split_part(first_seen_partition, '/', 1) AS DATE) AS first_seen
FROM airspace_notices_asof($day)
WHERE try_cast(split_part(first_seen_partition, '/', 1) AS DATE) <= $day
ORDER BY CASE category WHEN 'prohibition' THEN 0 WHEN 'closure' THEN 1
                       WHEN 'advisory' THEN 2 ELSE 3 END,
         fir, notice_id;
