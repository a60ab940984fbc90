"""Demo data: a synthetic, deterministic replay of OpenSky observations (not real data)."""
