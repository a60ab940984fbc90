-- A snapshot source: the new copy replaces the whole table.
DELETE FROM countries;
