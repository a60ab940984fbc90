-- Airspace notices in force at any moment of UTC day d: started by its end, not ended before
-- it began (effective_end, or ended_at: cancelled or replaced by another notice). Cancellations
-- themselves (type C) are never in force.
CREATE OR REPLACE MACRO airspace_notices_asof(d) AS TABLE
    SELECT *
    FROM airspace_notices
    WHERE notam_type IS DISTINCT FROM 'C'
      AND effective_start < CAST(d AS DATE) + INTERVAL 1 DAY
      AND (effective_end IS NULL OR effective_end >= CAST(d AS DATE))
      AND (ended_at IS NULL OR ended_at > CAST(d AS DATE));

-- Airspace notices in force now (UTC).
CREATE OR REPLACE VIEW active_airspace_notices AS
SELECT *
FROM airspace_notices
WHERE notam_type IS DISTINCT FROM 'C'
  AND effective_start <= timezone('UTC', now())
  AND (effective_end IS NULL OR effective_end > timezone('UTC', now()))
  AND (ended_at IS NULL OR ended_at > timezone('UTC', now()));
