"""ISO 3166-1 alpha-2 country codes with their English names and the codes CLDR knows as
aliases (UK -> GB, VEN -> VE), from the CLDR data that the `babel` package ships (offline).
`EU` is kept: the registry uses it as a jurisdiction."""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.core import get_global

# CLDR's two-letter territories that are not countries (or not ISO's): unknown, outlying
# Oceania, pseudo-locales, the eurozone, the UN
NOT_COUNTRIES = frozenset({"ZZ", "QO", "XA", "XB", "EZ", "UN"})


@cache
def country_names() -> dict[str, str]:
    """Code -> English name, e.g. VE -> Venezuela."""
    return {code: name for code, name in Locale("en").territories.items()
            if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES}


@cache
def code_aliases() -> dict[str, tuple[str, ...]]:
    """Deprecated or three-letter codes -> the country codes that replace them, e.g.
    UK -> (GB,), AN (Netherlands Antilles) -> (CW, SX, BQ)."""
    names = country_names()
    aliases = {alias: tuple(code for code in codes if code in names)
               for alias, codes in get_global("territory_aliases").items()}
    return {alias: codes for alias, codes in aliases.items() if codes}
