-- A snapshot source: the registry as curated now replaces the whole table.
DELETE FROM permit_actions;
