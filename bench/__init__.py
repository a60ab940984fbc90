"""`make bench`: throughput, nightly cost against history and memory, on SYNTHETIC data."""
