-- The ledger of alerts (pipeline/alerts): each alert each channel had, checked before every
-- send so that no alert reaches a channel twice, however often a night is run. A row is
-- written only after the channel accepted the alert (a failed send leaves none, and the next
-- run sends it), or when the night was too old to page anyone (skipped).
CREATE TABLE alert_log (
    alert_key   VARCHAR NOT NULL,   -- e.g. route_suspended|AVA|SKBO|SVMI|2025-11-21
    channel     VARCHAR NOT NULL,   -- webhook, email
    night       DATE NOT NULL,      -- the UTC day whose alerts it was among
    outcome     VARCHAR NOT NULL CHECK (outcome IN ('sent', 'skipped')),
    subject     VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL, -- UTC: when the channel accepted it, or it was skipped
    run_id      VARCHAR NOT NULL,
    PRIMARY KEY (alert_key, channel)
);
