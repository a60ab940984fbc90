INSERT INTO airports BY NAME
SELECT *, $partition AS source_partition, $run_id AS run_id, $loaded_at AS loaded_at
FROM read_parquet($staging_path);
