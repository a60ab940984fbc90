-- The night's staged rows of the source's changed partitions, loaded together (one pass over
-- `flights` a night, not one a partition), as the table stores them: the Parquet files'
-- timestamps are UTC instants (TIMESTAMPTZ); the table keeps plain UTC TIMESTAMPs. Each row
-- carries the fetch time of its partition.
CREATE OR REPLACE TEMP TABLE staged_partitions AS
SELECT unnest($partitions) AS source_partition,
       CAST(unnest($fetched_ats) AS TIMESTAMP) AS fetched_at;

CREATE OR REPLACE TEMP TABLE staged_flights AS
SELECT f.* REPLACE (CAST(f.flight_date AS DATE) AS flight_date,
                    timezone('UTC', f.dep_time_utc) AS dep_time_utc,
                    timezone('UTC', f.arr_time_utc) AS arr_time_utc,
                    timezone('UTC', f.sched_dep_utc) AS sched_dep_utc),
       $run_id AS run_id, CAST($loaded_at AS TIMESTAMP) AS loaded_at, p.fetched_at,
       -- two of tonight's partitions may give one flight: the newest fetch's copy first
       row_number() OVER (PARTITION BY f.flight_id
                          ORDER BY p.fetched_at DESC, f.source_partition DESC) AS copy_rank
FROM read_parquet($staging_paths, union_by_name = true) f
JOIN staged_partitions p USING (source_partition);
