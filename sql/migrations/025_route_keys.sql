-- A number for each route (carrier, origin, destination), kept in route_daily as route_key:
-- the derive's joins of routes' days over weeks of route_daily (detour baselines and onsets,
-- gap histories) compare one integer, not three strings. A route gets its number the first
-- night it flies, in the order of the codes, and keeps it; the numbers mean nothing outside
-- this database. The mapping is writer's state, not published.
CREATE TABLE fdp_state.route_keys (
    route_key    INTEGER NOT NULL,
    carrier_icao VARCHAR NOT NULL,
    origin_icao  VARCHAR NOT NULL,
    dest_icao    VARCHAR NOT NULL
);
ALTER TABLE route_daily ADD COLUMN route_key INTEGER;  -- NULL only until the rebuild below
-- rebuilds: derived tables (route_daily gains its route keys)
