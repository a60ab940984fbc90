INSERT INTO countries BY NAME
SELECT *, $run_id AS run_id, $loaded_at AS loaded_at FROM read_parquet($staging_path);
