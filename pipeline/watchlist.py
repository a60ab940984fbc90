"""The countries, airports and FIRs a user follows (a TOML file; default: Venezuela).

The file is checked whole: a misspelt key, a country name where its code belongs or a string
where a list belongs would otherwise quietly follow less than the user asked for."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

DEFAULT_WATCHLIST = Path(__file__).with_name("watchlist_default.toml")
_ICAO_LOCATION = re.compile(r"^[A-Z]{4}$")
# key -> an example value, as the user would write it
KNOWN_KEYS = {
    "countries": '["VE", "CO"]',
    "airports": '["SVMI", "SKBO"]',
    "firs": '["SVZM", "SKED"]',
    "terms": '["Venezuela"]',
}


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
    problems = _unknown_keys(data)
    lists: dict[str, list[str]] = {}
    for key in KNOWN_KEYS:
        lists[key], problem = _strings(data, key)
        problems += [problem] if problem else []
    problems += _country_problems(lists["countries"])
    problems += _icao_problems("airports", lists["airports"], "SVMI")
    problems += _icao_problems("firs", lists["firs"], "SVZM")
    if data.get("airports", []) == []:
        problems.append(f"list at least one airport under 'airports', e.g. airports = "
                        f"{KNOWN_KEYS['airports']}")
    if problems:
        raise WatchlistError(f"watchlist {path}: " + "; ".join(problems))
    return Watchlist(
        countries=_codes(lists["countries"]),
        airports=_codes(lists["airports"]),
        firs=_codes(lists["firs"]),
        terms=tuple(dict.fromkeys(t.strip() for t in lists["terms"] if t.strip())),
    )


def _codes(values: list[str]) -> tuple[str, ...]:
    return tuple(sorted({value.strip().upper() for value in values}))


def _unknown_keys(data: dict[str, Any]) -> list[str]:
    unknown = [key for key in data if key not in KNOWN_KEYS]
    if not unknown:
        return []
    named = []
    for key in unknown:
        nearest = difflib.get_close_matches(key.lower(), KNOWN_KEYS, n=1, cutoff=0.7)
        named.append(f"'{key}' (did you mean '{nearest[0]}'?)" if nearest else f"'{key}'")
    return [f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(named)}; "
            f"known keys: {', '.join(KNOWN_KEYS)}"]


def _strings(data: dict[str, Any], key: str) -> tuple[list[str], str | None]:
    """The key's list of strings (empty if absent), or a problem saying what to write."""
    value = data.get(key, [])
    if isinstance(value, str):
        as_list = ", ".join(f'"{part.strip()}"' for part in value.split(",") if part.strip())
        return [], f"'{key}' must be a list: write {key} = [{as_list}], not {key} = \"{value}\""
    if not isinstance(value, list):
        return [], (f"'{key}' must be a list of strings in quotes, e.g. {key} = "
                    f"{KNOWN_KEYS[key]}; it is {_toml_kind(value)}")
    not_strings = [item for item in value if not isinstance(item, str)]
    if not_strings:
        return [], (f"'{key}' must hold strings in quotes, e.g. {key} = {KNOWN_KEYS[key]}; "
                    f"it holds {_toml_kind(not_strings[0])} ({not_strings[0]!r})")
    return value, None


def _toml_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, date | time):
        return "a date or time"
    return "a list" if isinstance(value, list) else type(value).__name__


def _country_problems(values: list[str]) -> list[str]:
    from pipeline.reference.countries import country_names  # CLDR data: loaded when checked

    names = country_names()
    return [f"countries: '{value}' is not an ISO 3166-1 alpha-2 code; {_country_hint(value)}"
            for value in values if value.strip().upper() not in names]


def _country_hint(text: str) -> str:
    """What to write instead of `text`: the code of the country it names, if one is clear."""
    from pipeline.reference.countries import code_aliases, country_names

    names = country_names()
    by_name = {name.casefold(): code for code, name in names.items()}
    codes = code_aliases().get(text.strip().upper(), ())
    if not codes:
        nearest = difflib.get_close_matches(text.strip().casefold(), by_name, n=1, cutoff=0.75)
        codes = (by_name[nearest[0]],) if nearest else ()
    if not codes:
        return 'write its two-letter code, e.g. "VE" for Venezuela'
    return "write " + " or ".join(f'"{code}" ({names[code]})' for code in codes)


def _icao_problems(key: str, values: list[str], example: str) -> list[str]:
    return [f"{key}: '{value}' is not a 4-letter ICAO code; write one like \"{example}\""
            for value in values if not _ICAO_LOCATION.match(value.strip().upper())]
