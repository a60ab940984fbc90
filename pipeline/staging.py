"""Staging zone: one Parquet file per normalized partition, written atomically."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from pipeline import failpoints


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    frame.to_parquet(tmp, index=False)
    failpoints.hit("normalize")  # the new file written, not yet in place
    os.replace(tmp, path)  # a killed task leaves the old file or the new one, never half


def content_sha256(frame: pd.DataFrame) -> str:
    """Fingerprint of a frame's columns and values, stable across runs and processes."""
    digest = hashlib.sha256("|".join(frame.columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()
