"""The countries, airports and FIRs a user follows (a TOML file; default: Venezuela), and
the scope of OpenSky's flights: the watched airports' lists, or the whole world.

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
LIST_KEYS = {
    "countries": '["VE", "CO"]',
    "airports": '["SVMI", "SKBO"]',
    "firs": '["SVZM", "SKED"]',
    "terms": '["Venezuela"]',
}
KNOWN_KEYS = (*LIST_KEYS, "scope")
# OpenSky's scope: the watched airports' arrivals and departures, or every flight in the world
# (then `airports` only chooses what the report shows). See docs/operations.md for the credits.
AIRPORTS, WORLD = "airports", "world"
SCOPES = (AIRPORTS, WORLD)
_WORLD_SYNONYMS = ("global", "worldwide", "all", "everything")


class WatchlistError(ValueError):
    pass


@dataclass(frozen=True)
class Watchlist:
    countries: tuple[str, ...]
    airports: tuple[str, ...]
    firs: tuple[str, ...]
    terms: tuple[str, ...] = ()  # full-text search terms for regulatory documents
    scope: str = AIRPORTS  # what OpenSky is asked for: AIRPORTS or WORLD


# An error names this many problems, then counts the rest: a pasted list of hundreds of codes
# must still give one readable line.
PROBLEMS_SHOWN = 5


def load_watchlist(path: Path | None = None) -> Watchlist:
    path = path or DEFAULT_WATCHLIST
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise WatchlistError(f"watchlist {path}: cannot read it ({exc})") from exc
    problems = _unknown_keys(data)
    lists: dict[str, list[str]] = {}
    for key in LIST_KEYS:
        lists[key], problem = _strings(data, key)
        problems += [problem] if problem else []
    scope, problem = _scope(data)
    problems += [problem] if problem else []
    problems += _country_problems(lists["countries"])
    problems += _icao_problems("airports", lists["airports"], "SVMI")
    problems += _icao_problems("firs", lists["firs"], "SVZM")
    if data.get("airports", []) == [] and scope == AIRPORTS:
        problems.append(f"list at least one airport under 'airports', e.g. airports = "
                        f"{LIST_KEYS['airports']} (or follow every flight: scope = \"world\")")
    if problems:
        shown = problems[:PROBLEMS_SHOWN]
        if len(problems) > PROBLEMS_SHOWN:
            shown.append(f"and {len(problems) - PROBLEMS_SHOWN} more problems")
        raise WatchlistError(f"watchlist {path}: " + "; ".join(shown))
    return Watchlist(
        countries=_codes(lists["countries"]),
        airports=_codes(lists["airports"]),
        firs=_codes(lists["firs"]),
        terms=tuple(dict.fromkeys(t.strip() for t in lists["terms"] if t.strip())),
        scope=scope,
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


def _scope(data: dict[str, Any]) -> tuple[str, str | None]:
    """The scope, and a problem saying what to write if it is not one of SCOPES."""
    value = data.get("scope", AIRPORTS)
    choices = " or ".join(f'scope = "{s}"' for s in SCOPES)
    if not isinstance(value, str):
        return str(value), (f"'scope' must be a word in quotes: write {choices}; it is "
                            f"{_toml_kind(value)}")
    word = value.strip().lower()
    if word in SCOPES:
        return word, None
    nearest = WORLD if word in _WORLD_SYNONYMS else next(
        iter(difflib.get_close_matches(word, SCOPES, n=1, cutoff=0.6)), None)
    hint = f'did you mean scope = "{nearest}"? ' if nearest else ""
    return value, (f"scope: '{value}' is not a scope; {hint}write {choices} (airports: the "
                   "watched airports' flights; world: every flight OpenSky saw)")


def _strings(data: dict[str, Any], key: str) -> tuple[list[str], str | None]:
    """The key's list of strings (empty if absent), or a problem saying what to write."""
    value = data.get(key, [])
    if isinstance(value, str):
        as_list = ", ".join(f'"{part.strip()}"' for part in value.split(",") if part.strip())
        return [], f"'{key}' must be a list: write {key} = [{as_list}], not {key} = \"{value}\""
    if not isinstance(value, list):
        return [], (f"'{key}' must be a list of strings in quotes, e.g. {key} = "
                    f"{LIST_KEYS[key]}; it is {_toml_kind(value)}")
    not_strings = [item for item in value if not isinstance(item, str)]
    if not_strings:
        return [], (f"'{key}' must hold strings in quotes, e.g. {key} = {LIST_KEYS[key]}; "
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
