"""Staging zone: one Parquet file per normalized partition, written atomically."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
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
    return _fingerprint(frame.columns, pd.util.hash_pandas_object(frame, index=False).to_numpy())


def content_sha256_by(frame: pd.DataFrame, column: str, values: list[str]) -> dict[str, str]:
    """content_sha256 of each value's rows (in the frame's order), hashed in one pass: the
    fingerprint each would have as a frame of its own (a row's hash depends on it alone)."""
    row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    keys = frame[column].to_numpy()
    return {value: _fingerprint(frame.columns, row_hashes[keys == value]) for value in values}


def _fingerprint(columns: pd.Index, row_hashes: np.ndarray) -> str:
    digest = hashlib.sha256("|".join(columns).encode())
    digest.update(row_hashes.tobytes())
    return digest.hexdigest()
