-- Airspace notices get a key that cannot collide across years, the FIR as ICAO names it, and
-- the links that let cancellations and replacements end what they name.
-- - notice_key (the new primary key): notice_id when its number carries its year
--   ('KICZ A0012/25'), else notice_id and the UTC year it was issued, or started when the API
--   gave no issue time ('GDJ 11/007 2025'): US domestic and FDC numbers come round every year.
-- - fir: the ICAO FIR code; affected_fir: the API's affectedFIR as it came (ZFW or KZFW).
-- - replaces_notice_id: on a cancellation or replacement, the notice_id it names.
-- - ended_at, ended_by: when, and by which notice_key, a cancellation or replacement ended it.
-- DuckDB cannot change a primary key in place, so the table is built anew and filled from the
-- old one. Rows loaded before this migration keep their fir in affected_fir (it was the API's
-- value, or the watched location when the API gave none) and have no links: the texts that
-- name what a notice replaces were not stored. Replaying their nights from raw fills them in.
CREATE TABLE airspace_notices_keyed (
    notice_id        VARCHAR NOT NULL,     -- as users know it, e.g. 'KICZ A0012/25'
    notice_key       VARCHAR PRIMARY KEY,  -- e.g. 'KICZ A0012/25', 'GDJ 11/007 2025'
    issuer           VARCHAR,
    fir              VARCHAR,              -- ICAO FIR code, e.g. 'KZFW'
    affected_fir     VARCHAR,              -- the API's affectedFIR, e.g. 'ZFW' or 'KZFW'
    location         VARCHAR,
    classification   VARCHAR,
    notam_type       VARCHAR,              -- N new, R replacing, C cancelling
    replaces_notice_id VARCHAR,            -- what an R or C notice replaces or cancels
    category         VARCHAR NOT NULL
        CHECK (category IN ('advisory', 'prohibition', 'closure', 'other')),
    effective_start  TIMESTAMP,            -- UTC
    effective_end    TIMESTAMP,            -- UTC; NULL = permanent
    end_estimated    BOOLEAN,
    ended_at         TIMESTAMP,            -- UTC; effective_start of what cancelled or replaced it
    ended_by         VARCHAR,              -- notice_key of what cancelled or replaced it
    lower_fl         INTEGER,
    upper_fl         INTEGER,
    issued           TIMESTAMP,
    text             VARCHAR,
    source_url       VARCHAR,
    source           VARCHAR NOT NULL,
    source_partition VARCHAR NOT NULL,
    first_seen_partition VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL
);

INSERT INTO airspace_notices_keyed BY NAME
SELECT * REPLACE (
           -- the ARTCC table of pipeline/sources/faa_notam.py (ICAO_FIR_OF_ARTCC) as it stood
           CASE WHEN fir IN ('ZAB', 'ZAU', 'ZBW', 'ZDC', 'ZDV', 'ZFW', 'ZHU', 'ZID', 'ZJX',
                             'ZKC', 'ZLA', 'ZLC', 'ZMA', 'ZME', 'ZMP', 'ZNY', 'ZOA', 'ZOB',
                             'ZSE', 'ZTL', 'ZAK', 'ZWY') THEN 'K' || fir
                WHEN fir = 'ZAN' THEN 'PAZA'
                WHEN fir = 'ZHN' THEN 'PHZH'
                WHEN fir = 'ZSU' THEN 'TJZS'
                WHEN fir = 'ZUA' THEN 'PGZU'
                ELSE fir END AS fir),
       CASE WHEN regexp_full_match(split_part(notice_id, ' ', 2), '[A-Z]\d{4}/\d{2}')
            THEN notice_id
            ELSE notice_id || ' ' || year(coalesce(issued, effective_start)) END AS notice_key,
       fir AS affected_fir
FROM airspace_notices;

DROP TABLE airspace_notices;
ALTER TABLE airspace_notices_keyed RENAME TO airspace_notices;
