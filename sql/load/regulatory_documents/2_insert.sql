INSERT INTO regulatory_documents BY NAME
SELECT * REPLACE (CAST(publication_date AS DATE) AS publication_date),
       $run_id AS run_id, $loaded_at AS loaded_at
FROM read_parquet($staging_path);
