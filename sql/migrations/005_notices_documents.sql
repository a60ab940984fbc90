-- Airspace notices (FAA NOTAM API). One row per NOTAM; a NOTAM seen on several nights is
-- updated by the newest night that saw it. first_seen_partition: the night it first appeared.
CREATE TABLE airspace_notices (
    notice_id        VARCHAR PRIMARY KEY,  -- e.g. 'KICZ A0012/25'
    issuer           VARCHAR,
    fir              VARCHAR,
    location         VARCHAR,
    classification   VARCHAR,
    notam_type       VARCHAR,              -- N new, R replacing, C cancelling
    category         VARCHAR NOT NULL
        CHECK (category IN ('advisory', 'prohibition', 'closure', 'other')),
    effective_start  TIMESTAMP,            -- UTC
    effective_end    TIMESTAMP,            -- UTC; NULL = permanent
    end_estimated    BOOLEAN,
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

-- FAA and DOT documents in the Federal Register that match the watchlist's terms.
CREATE TABLE regulatory_documents (
    document_number  VARCHAR PRIMARY KEY,
    publication_date DATE NOT NULL,
    document_type    VARCHAR,
    title            VARCHAR NOT NULL,
    abstract         VARCHAR,
    agencies         VARCHAR,
    html_url         VARCHAR,
    pdf_url          VARCHAR,
    matched_terms    VARCHAR,
    source           VARCHAR NOT NULL,
    source_partition VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL
);
