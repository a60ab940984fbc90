-- What a suspension was detected on (sql/derive/040_route_events.sql): 'silence' (the route's
-- own silence alone), 'carrier act' (its silence and an act naming the carrier), 'country act'
-- (its silence and a country-wide act). NULL for started and resumed events.
ALTER TABLE route_events ADD COLUMN evidence VARCHAR;
-- rebuilds: derived tables (a new detector: events are judged again)
