-- What the acts said before this load: an act added, removed or changed can start or stop
-- supporting a route's suspension (sql/derive/040_route_events.sql), so the gaps around it
-- are judged again (3_acts_changed.sql).
CREATE OR REPLACE TEMP TABLE acts_before AS
SELECT action_id, action, carrier_icao, carrier_name, jurisdiction_country, effective_date,
       end_date, announced_date
FROM permit_actions;
