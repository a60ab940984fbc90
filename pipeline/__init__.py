"""Flight-disruption pipeline: fetch public flight data, normalize with pandas, load DuckDB."""
