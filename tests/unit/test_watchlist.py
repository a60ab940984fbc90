"""Watchlist files are checked whole: every mistake is named with its file and what to write."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.watchlist import DEFAULT_WATCHLIST, Watchlist, WatchlistError, load_watchlist

GOOD = 'countries = ["VE"]\nairports = ["SVMI"]\nfirs = ["SVZM"]\nterms = ["Venezuela"]\n'


@pytest.fixture
def write(tmp_path):
    def write_watchlist(text: str) -> Path:
        path = tmp_path / "watchlist.toml"
        path.write_text(text, encoding="utf-8")
        return path
    return write_watchlist


def error_of(path: Path) -> str:
    with pytest.raises(WatchlistError) as error:
        load_watchlist(path)
    message = str(error.value)
    assert message.startswith(f"watchlist {path}: ") and "\n" not in message
    return message.removeprefix(f"watchlist {path}: ")


def test_default_and_good_files_load(write):
    default = load_watchlist(DEFAULT_WATCHLIST)
    assert "VE" in default.countries and "SVMI" in default.airports
    relaxed = write('countries = ["ve", "EU"]\nairports = [" svmi", "SVMI"]\n'
                    'firs = ["svzm"]\nterms = ["Venezuela", " "]\n')
    assert load_watchlist(relaxed) == Watchlist(countries=("EU", "VE"), airports=("SVMI",),
                                                firs=("SVZM",), terms=("Venezuela",))


def test_unknown_key_suggests_the_nearest(write):
    assert error_of(write(GOOD + 'airprots = ["SKBO"]\n')) == (
        "unknown key 'airprots' (did you mean 'airports'?); known keys: countries, airports, "
        "firs, terms, scope")
    assert error_of(write(GOOD + 'fir = ["SKED"]\nnotes = "mine"\n')) == (
        "unknown keys 'fir' (did you mean 'firs'?), 'notes'; known keys: countries, airports, "
        "firs, terms, scope")
    assert error_of(write(GOOD + 'scoep = "world"\n')) == (
        "unknown key 'scoep' (did you mean 'scope'?); known keys: countries, airports, firs, "
        "terms, scope")


@pytest.mark.parametrize(("written", "hint"), [
    ("Venezuela", 'write "VE" (Venezuela)'),
    ("venezuela ", 'write "VE" (Venezuela)'),
    ("Colombai", 'write "CO" (Colombia)'),
    ("UK", 'write "GB" (United Kingdom)'),
    ("VEN", 'write "VE" (Venezuela)'),
    ("AN", 'write "CW" (Curaçao) or "SX" (Sint Maarten) or "BQ" (Caribbean Netherlands)'),
    ("XQ", 'write its two-letter code, e.g. "VE" for Venezuela'),
])
def test_a_country_that_is_not_a_code_gets_its_code(write, written, hint):
    path = write(GOOD.replace('countries = ["VE"]', f'countries = ["CO", "{written}"]'))
    assert error_of(path) == (
        f"countries: '{written}' is not an ISO 3166-1 alpha-2 code; {hint}")


def test_airports_and_firs_must_be_icao_codes(write):
    path = write(GOOD.replace('["SVMI"]', '["SVMI", "MIA"]').replace('["SVZM"]', '["SVZM1"]'))
    assert error_of(path) == (
        "airports: 'MIA' is not a 4-letter ICAO code; write one like \"SVMI\"; "
        "firs: 'SVZM1' is not a 4-letter ICAO code; write one like \"SVZM\"")


@pytest.mark.parametrize(("line", "problem"), [
    ('airports = "SVMI"',
     "'airports' must be a list: write airports = [\"SVMI\"], not airports = \"SVMI\""),
    ('airports = "SVMI, SVMC"',
     "'airports' must be a list: write airports = [\"SVMI\", \"SVMC\"], not airports = "
     "\"SVMI, SVMC\""),
    ("airports = 12",
     "'airports' must be a list of strings in quotes, e.g. airports = [\"SVMI\", \"SKBO\"]; "
     "it is a number"),
    ("airports = [\"SVMI\", 12]",
     "'airports' must hold strings in quotes, e.g. airports = [\"SVMI\", \"SKBO\"]; it holds "
     "a number (12)"),
    ("[airports]\nSVMI = true",
     "'airports' must be a list of strings in quotes, e.g. airports = [\"SVMI\", \"SKBO\"]; "
     "it is a table"),
])
def test_wrong_types_say_what_to_write(write, line, problem):
    assert error_of(write('countries = ["VE"]\n' + line + "\n")) == problem


def test_no_airport_and_every_problem_at_once(write):
    assert error_of(write('countries = ["Venezuela"]\nterms = "Venezuela"\nairports = []\n')) \
        == ("'terms' must be a list: write terms = [\"Venezuela\"], not terms = \"Venezuela\"; "
            "countries: 'Venezuela' is not an ISO 3166-1 alpha-2 code; write \"VE\" "
            "(Venezuela); list at least one airport under 'airports', e.g. airports = "
            "[\"SVMI\", \"SKBO\"] (or follow every flight: scope = \"world\")")


def test_hundreds_of_bad_codes_give_one_readable_line(write):
    codes = ", ".join(f'"K{n:03d}"' for n in range(300))  # FAA identifiers, not ICAO codes
    message = error_of(write(f'countries = ["US"]\nairports = [{codes}]\n'))
    assert message.startswith("airports: 'K000' is not a 4-letter ICAO code")
    assert message.count("is not a 4-letter ICAO code") == 5
    assert message.endswith("; and 295 more problems") and len(message) < 500


def test_fdp_prints_the_problem_on_one_line(write, fdp_env, monkeypatch, capsys):
    monkeypatch.setenv("FDP_WATCHLIST", str(write(GOOD + 'airprots = ["SKBO"]\n')))
    assert main(["run", "--date", "2025-11-20", "--replay"]) == 1
    assert capsys.readouterr().err == (
        f"fdp run: error: watchlist {fdp_env.parent / 'watchlist.toml'}: unknown key 'airprots' "
        "(did you mean 'airports'?); known keys: countries, airports, firs, terms, scope\n")


def test_scope_is_airports_unless_the_file_says_world(write):
    assert load_watchlist(write(GOOD)).scope == "airports"
    assert load_watchlist(DEFAULT_WATCHLIST).scope == "airports"
    world = load_watchlist(write(GOOD + 'scope = "World "\n'))
    assert (world.scope, world.airports) == ("world", ("SVMI",))


def test_world_scope_needs_no_airport(write):
    world = load_watchlist(write('countries = ["VE"]\nscope = "world"\n'))
    assert (world.scope, world.airports) == ("world", ())


@pytest.mark.parametrize(("line", "problem"), [
    ('scope = "global"',
     "scope: 'global' is not a scope; did you mean scope = \"world\"? write scope = "
     "\"airports\" or scope = \"world\" (airports: the watched airports' flights; world: every "
     "flight OpenSky saw)"),
    ('scope = "airprots"',
     "scope: 'airprots' is not a scope; did you mean scope = \"airports\"? write scope = "
     "\"airports\" or scope = \"world\" (airports: the watched airports' flights; world: "
     "every flight OpenSky saw)"),
    ('scope = "Venezuela"',
     "scope: 'Venezuela' is not a scope; write scope = \"airports\" or scope = \"world\" "
     "(airports: the watched airports' flights; world: every flight OpenSky saw)"),
    ('scope = ["world"]',
     "'scope' must be a word in quotes: write scope = \"airports\" or scope = \"world\"; it "
     "is a list"),
    ("scope = true",
     "'scope' must be a word in quotes: write scope = \"airports\" or scope = \"world\"; it "
     "is true/false"),
])
def test_a_wrong_scope_says_what_to_write(write, line, problem):
    assert error_of(write(GOOD + line + "\n")) == problem


def test_a_wrong_scope_without_airports_is_one_problem(write):
    message = error_of(write('countries = ["VE"]\nscope = "global"\n'))
    assert message.startswith("scope: 'global' is not a scope; did you mean scope = \"world\"?")
    assert "list at least one airport" not in message
