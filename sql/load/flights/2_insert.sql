-- Insert a partition's staged Parquet file. Its timestamps are UTC instants (TIMESTAMPTZ);
-- the table stores them as plain UTC TIMESTAMPs, as the contract says.
INSERT INTO flights BY NAME
SELECT * REPLACE (CAST(flight_date AS DATE) AS flight_date,
                  timezone('UTC', dep_time_utc) AS dep_time_utc,
                  timezone('UTC', arr_time_utc) AS arr_time_utc,
                  timezone('UTC', sched_dep_utc) AS sched_dep_utc),
       $run_id AS run_id, $loaded_at AS loaded_at
FROM read_parquet($staging_path);
