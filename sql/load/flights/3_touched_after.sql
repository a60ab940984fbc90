INSERT INTO touched_dates
SELECT DISTINCT CAST(flight_date AS DATE) FROM read_parquet($staging_path);
