"""One module per source: fetch (HTTP -> raw zone) and normalize (raw -> typed frame)."""
