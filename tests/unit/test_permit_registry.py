"""The permit-action registry: the real seed validates; bad rows are named by line and column."""

from __future__ import annotations

import logging

import pytest

from pipeline.config import DEFAULT_REGISTRY
from pipeline.reference.airlines import known_airline_icao
from pipeline.sources.permit_registry import COLUMNS, RegistryError, validate

HEADER = ",".join(COLUMNS)
GOOD = ("inac-2025-11-26-ibe-revoked,INAC,VE,revoked,IBE,IB,Iberia,VE,scope,2025-11-26,,"
        "2025-11-26,https://example.org/gaceta,Title,[verified] note")


def check(*rows: str) -> list[dict]:
    return validate("\n".join([HEADER, *rows]) + "\n", "registry.csv", known_airline_icao())


def test_the_seeded_registry_is_valid_and_complete():
    rows = validate(DEFAULT_REGISTRY.read_text(encoding="utf-8"), str(DEFAULT_REGISTRY),
                    known_airline_icao())
    assert len(rows) == 79
    revoked = {r["carrier_icao"] for r in rows
               if r["authority"] == "INAC" and r["action"] == "revoked"}
    assert revoked == {"IBE", "TAP", "AVA", "ARE", "THY", "GLO"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("revoked", "cancelled"), "line 2, column action: unknown action 'cancelled'"),
        (("2025-11-26,,", "2025-11-31,,"), "line 2, column effective_date: '2025-11-31' is not"),
        (("2025-11-26,,", "2025-11-26,2025-11-01,"),
         "line 2, column end_date: 2025-11-01 is before effective_date 2025-11-26"),
        (("https://example.org/gaceta", ""), "line 2, column source_url: every act must cite"),
        (("IBE,IB", "IB,IB"), "line 2, column carrier_icao: 'IB' is not a 3-letter"),
        (("INAC,VE,", "INAC,Venezuela,"), "line 2, column authority_country: 'Venezuela'"),
    ],
)
def test_bad_rows_are_named_by_line_and_column(change, message):
    with pytest.raises(RegistryError) as error:
        check(GOOD.replace(*change))
    assert message in str(error.value)
    assert "registry.csv" in str(error.value) and "nothing was loaded" in str(error.value)


def test_duplicate_action_id_names_both_lines():
    with pytest.raises(RegistryError, match=r"line 3, column action_id: duplicate of line 2"):
        check(GOOD, GOOD)


def test_every_problem_is_reported_at_once():
    with pytest.raises(RegistryError) as error:
        check(GOOD.replace("revoked", "nope"), GOOD.replace("2025-11-26,,", "26/11/2025,,"))
    text = str(error.value)
    assert "2 problem(s)" in text and "line 2" in text and "line 3" in text


def test_wrong_header_is_refused():
    with pytest.raises(RegistryError, match=r"missing \['notes'\]"):
        validate(HEADER.replace(",notes", "") + "\n", "registry.csv", known_airline_icao())


def test_extra_cells_are_refused():
    with pytest.raises(RegistryError, match="line 2: 1 cell"):
        check(GOOD + ",extra")


def test_unknown_carrier_is_a_warning_and_the_row_is_kept(caplog):
    caplog.set_level(logging.WARNING)
    rows = check(GOOD.replace("IBE,IB", "XQZ,IB"))
    assert rows[0]["carrier_icao"] == "XQZ"
    assert "line 2, column carrier_icao: XQZ is not a known airline" in caplog.text
