-- Dates arrive as timestamps at midnight.
INSERT INTO permit_actions BY NAME
SELECT * REPLACE (CAST(effective_date AS DATE) AS effective_date,
                  CAST(end_date AS DATE) AS end_date,
                  CAST(announced_date AS DATE) AS announced_date),
       $run_id AS run_id, $loaded_at AS loaded_at
FROM read_parquet($staging_path);
