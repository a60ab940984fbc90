-- Airspace notices in force at any moment of UTC day d.
CREATE OR REPLACE MACRO airspace_notices_asof(d) AS TABLE
    SELECT *
    FROM airspace_notices
    WHERE notam_type IS DISTINCT FROM 'C'
      AND effective_start < CAST(d AS DATE) + INTERVAL 1 DAY
      AND (effective_end IS NULL OR effective_end >= CAST(d AS DATE));

-- Airspace notices in force now (UTC).
CREATE OR REPLACE VIEW active_airspace_notices AS
SELECT *
FROM airspace_notices
WHERE notam_type IS DISTINCT FROM 'C'
  AND effective_start <= timezone('UTC', now())
  AND (effective_end IS NULL OR effective_end > timezone('UTC', now()));
