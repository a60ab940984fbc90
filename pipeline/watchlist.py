"""The countries, airports and FIRs a user follows (a TOML file; default: Venezuela)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WATCHLIST = Path(__file__).with_name("watchlist_default.toml")
_ICAO_AIRPORT = re.compile(r"^[A-Z]{4}$")


class WatchlistError(ValueError):
    pass


@dataclass(frozen=True)
class Watchlist:
    countries: tuple[str, ...]
    airports: tuple[str, ...]
    firs: tuple[str, ...]
    terms: tuple[str, ...] = ()  # full-text search terms for regulatory documents


def load_watchlist(path: Path | None = None) -> Watchlist:
    path = path or DEFAULT_WATCHLIST
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise WatchlistError(f"watchlist {path}: cannot read it ({exc})") from exc
    airports = tuple(sorted({code.upper() for code in data.get("airports", [])}))
    bad = [code for code in airports if not _ICAO_AIRPORT.match(code)]
    if bad:
        raise WatchlistError(f"watchlist {path}: airports must be 4-letter ICAO codes, got {bad}")
    if not airports:
        raise WatchlistError(f"watchlist {path}: list at least one airport under 'airports'")
    return Watchlist(
        countries=tuple(sorted({c.upper() for c in data.get("countries", [])})),
        airports=airports,
        firs=tuple(sorted({f.upper() for f in data.get("firs", [])})),
        terms=tuple(dict.fromkeys(t.strip() for t in data.get("terms", []) if t.strip())),
    )
