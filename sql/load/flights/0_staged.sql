-- The partition's staged rows as the table stores them: the Parquet file's timestamps are UTC
-- instants (TIMESTAMPTZ); the table keeps plain UTC TIMESTAMPs, as the contract says.
CREATE OR REPLACE TEMP TABLE staged_flights AS
SELECT * REPLACE (CAST(flight_date AS DATE) AS flight_date,
                  timezone('UTC', dep_time_utc) AS dep_time_utc,
                  timezone('UTC', arr_time_utc) AS arr_time_utc,
                  timezone('UTC', sched_dep_utc) AS sched_dep_utc),
       $run_id AS run_id, CAST($loaded_at AS TIMESTAMP) AS loaded_at,
       CAST($fetched_at AS TIMESTAMP) AS fetched_at
FROM read_parquet($staging_path);
