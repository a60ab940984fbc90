-- What the publish must copy (pipeline/store/publish.py). Readers get one of two copies of the
-- database (slots) that take turns; a publish brings the older one up to date with the days
-- written since it was last published, instead of copying the whole history every night.
-- Every load and rebuild that writes a by-day table records, under the clock's next value, the
-- days it wrote (a NULL day: the whole table). A slot remembers the clock it reflects.
CREATE SCHEMA fdp_publish;

CREATE TABLE fdp_publish.clock (
    seq            BIGINT NOT NULL,  -- the last change recorded
    pruned_through BIGINT NOT NULL   -- changes up to this one are gone: older slots are recopied
);
INSERT INTO fdp_publish.clock VALUES (0, 0);

CREATE TABLE fdp_publish.changes (
    seq         BIGINT NOT NULL,
    table_name  VARCHAR NOT NULL,
    flight_date DATE               -- NULL: every row of the table
);

-- Each slot's file as the last publish left it (modified since: somebody wrote to the copy, so
-- it is copied whole, not updated).
CREATE TABLE fdp_publish.slot_files (
    slot     VARCHAR PRIMARY KEY,
    mtime_ns BIGINT NOT NULL,
    size     BIGINT NOT NULL
);
