-- Every physical flight once: the rows of flights except those another source's row stands
-- for (flight_duplicates). The route and traffic tables count these.
CREATE OR REPLACE VIEW counted_flights AS
SELECT f.*
FROM flights f
ANTI JOIN flight_duplicates d ON d.source = f.source AND d.flight_id = f.flight_id;
