-- The lasting onsets of flight-time jumps, reported as detours or not, kept night to night
-- (sql/derive/060): the rule that makes an onset within 28 days after a lasting one the same
-- detour read every night the onsets of the four weeks before the days it judges, found
-- again from eight weeks of route_daily (0.15 s a night on the benchmark's year). Writer's
-- state, not published.
CREATE TABLE fdp_state.lasting_onsets (
    carrier_icao VARCHAR NOT NULL,
    origin_icao  VARCHAR NOT NULL,
    dest_icao    VARCHAR NOT NULL,
    started_on   DATE NOT NULL
);
-- rebuilds: derived tables (the onsets are judged from every loaded day, as nights judge them)
