-- Dates arrive as timestamps at midnight; `source` is the table's name and is not stored.
INSERT INTO airlines BY NAME
SELECT * EXCLUDE (source) REPLACE (CAST(valid_from AS DATE) AS valid_from,
                                   CAST(valid_to AS DATE) AS valid_to),
       $run_id AS run_id, $loaded_at AS loaded_at
FROM read_parquet($staging_path);
