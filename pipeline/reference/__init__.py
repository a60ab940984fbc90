"""Reference data bundled with the pipeline (works offline)."""
