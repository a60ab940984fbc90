-- A year of SYNTHETIC flights, written straight into `flights` (benchmark only).
-- The same routes and schedules as bench/world.py (temp table bench_routes, with `watched`),
-- with random draws from hash() instead of numpy: the rows have the shape the nightly path
-- gives (one row per flight, loaded from the departure list of a watched origin, else the
-- arrival list of a watched destination, trimmed callsigns, carriers of known airlines only),
-- but they are not the same flights a replay of those days would load.
INSERT INTO flights BY NAME
WITH days AS (
    SELECT unnest(generate_series($first_day::DATE - 1, $last_day::DATE, INTERVAL 1 DAY))::DATE
           AS day  -- from the day before: its late flights land in the first day's partitions
),
slots AS (
    SELECT r.*, d.day, unnest(range(r.per_day)) AS slot
    FROM bench_routes r CROSS JOIN days d
    WHERE (r.weekdays >> (isodow(d.day) - 1)) & 1 = 1
      AND (r.first_day IS NULL OR d.day >= r.first_day)
      AND (r.last_day IS NULL OR d.day <= r.last_day)
),
drawn AS (
    SELECT *, hash(route_id, day, slot) AS h,
           epoch(day)::BIGINT + ((departure_min + slot * 1440 // per_day) % 1440) * 60
             + ((hash(route_id, day, slot, 'delay') % 36)::BIGINT - 5) * 60 AS off_block
    FROM slots
),
flown AS (
    SELECT *,
           off_block + (8 + (h % 13)::BIGINT) * 60 AS first_seen,
           off_block + (block_min - 3 - ((h >> 8) % 8)::BIGINT) * 60 AS last_seen,
           CASE WHEN (h >> 16) % 100 < 2 THEN NULL ELSE callsign END AS seen_callsign,
           CASE WHEN (h >> 24) % 100 < 1 THEN NULL ELSE origin END AS seen_origin,
           printf('%06x', ((fleet + (h >> 32) % 4) * 2654435761) % 16777216) AS icao24
    FROM drawn
    WHERE (h >> 40) % 100 < 97  -- ADS-B coverage
),
placed AS (
    SELECT *,
           CASE WHEN origin_watched AND seen_origin IS NOT NULL
                THEN strftime(make_timestamp(first_seen * 1000000), '%Y-%m-%d') || '/' || origin
                ELSE strftime(make_timestamp(last_seen * 1000000), '%Y-%m-%d') || '/' || dest
           END AS source_partition
    FROM flown
)
SELECT substr(md5(concat_ws('|', 'opensky', icao24, first_seen, coalesce(seen_callsign, ''))),
              1, 20) AS flight_id,
       'opensky' AS source,
       source_partition,
       make_timestamp(first_seen * 1000000)::DATE AS flight_date,
       CASE WHEN seen_callsign IS NOT NULL THEN carrier END AS carrier_icao,
       nullif(regexp_extract(seen_callsign, '^([A-Z]{3})[0-9]', 1), '') AS carrier_code,
       CASE WHEN carrier IS NOT NULL AND seen_callsign IS NOT NULL
            THEN substr(seen_callsign, 4) END AS flight_number,
       seen_callsign AS callsign,
       icao24,
       seen_origin AS origin_icao,
       dest AS dest_icao,
       seen_origin AS origin_code,
       dest AS dest_code,
       make_timestamp(first_seen * 1000000) AS dep_time_utc,
       make_timestamp(last_seen * 1000000) AS arr_time_utc,
       NULL::TIMESTAMP AS sched_dep_utc,
       'observed' AS status,
       'bench-history' AS run_id,
       TIMESTAMP '2000-01-01' AS loaded_at,
       TIMESTAMP '2000-01-01' AS fetched_at
FROM placed
WHERE ((origin_watched AND seen_origin IS NOT NULL) OR dest_watched)
  AND source_partition BETWEEN strftime($first_day::DATE, '%Y-%m-%d')
                           AND strftime($last_day::DATE, '%Y-%m-%d') || '~'
ORDER BY source_partition, dep_time_utc;  -- as nights load them: the table stays clustered by day
