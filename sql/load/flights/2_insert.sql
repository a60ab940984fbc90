-- Insert a partition's staged Parquet file. Its timestamps are UTC instants (TIMESTAMPTZ);
-- the table stores them as plain UTC TIMESTAMPs, as the contract says.
INSERT INTO flights
SELECT flight_id, source, source_partition, CAST(flight_date AS DATE),
       carrier_icao, carrier_code, flight_number, callsign, icao24, origin_icao, dest_icao,
       timezone('UTC', dep_time_utc), timezone('UTC', arr_time_utc), timezone('UTC', sched_dep_utc),
       status, $run_id, $loaded_at
FROM read_parquet($staging_path);
