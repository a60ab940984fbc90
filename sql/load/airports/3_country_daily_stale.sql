-- The airports' countries may have changed: sql/derive/025_country_daily.sql recomputes
-- country_daily for every day in this load's transaction.
CREATE TEMP TABLE IF NOT EXISTS airports_reloaded (reloaded BOOLEAN);
INSERT INTO airports_reloaded VALUES (true);
