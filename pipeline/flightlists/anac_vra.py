"""ANAC Brazil "Voo Regular Ativo" (VRA) (format `anac-vra`): one CSV a month
(https://siros.anac.gov.br/siros/registros/diversos/vra/YYYY/VRA_YYYY_MM.csv), `;`-separated,
latin-1 in older files and UTF-8 (with a BOM) in newer ones, a row per flight stage:
"Sigla ICAO Empresa Aérea";"Empresa Aérea";"Número Voo";...;"Sigla ICAO Aeroporto Origem";...;
"Partida Prevista";"Partida Real";...;"Chegada Prevista";"Chegada Real";"Situação Voo";...
Files before 2010 name the columns "ICAO Empresa Aérea", "ICAO Aeródromo Origem", ...

Airports and carriers are ICAO codes already. ANAC documents all four clock columns as Brasília
time (America/Sao_Paulo, with its former DST), also at foreign airports, as "DD/MM/YYYY HH:MM";
a file whose lines before the header say its times are UTC ("Importante: Horários em UTC", as
ANAC's SIROS schedule files do) is read as UTC instead.
    sched_dep_utc = Partida Prevista -> UTC
    dep_time_utc  = Partida Real -> UTC     NULL unless the flight was flown
    arr_time_utc  = Chegada Real -> UTC     NULL unless the flight was flown
Situação Voo: REALIZADO -> completed, CANCELADO -> cancelled, NÃO INFORMADO -> scheduled (the
carrier did not report the outcome). The file has no diversion flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from pipeline.flightlists.files import (
    Chunk,
    Layout,
    Normalized,
    RowProblems,
    flagged,
    header_key,
    open_csv,
    sniff_encoding,
)
from pipeline.flightlists.mapping import (
    BRASILIA,
    NAIVE_TS,
    UTC,
    Reference,
    icao_airports,
    local_day,
    local_to_utc,
)
from pipeline.schemas import STRING, UTC_TS

SOURCE = "anac_vra"
COLUMNS = {
    "Sigla ICAO Empresa Aérea": "carrier",
    "ICAO Empresa Aérea": "carrier",
    "Número Voo": "flight_number",
    "Sigla ICAO Aeroporto Origem": "origin",
    "ICAO Aeródromo Origem": "origin",
    "Sigla ICAO Aeroporto Destino": "dest",
    "ICAO Aeródromo Destino": "dest",
    "Partida Prevista": "sched_dep",
    "Partida Real": "actual_dep",
    "Chegada Real": "actual_arr",
    "Situação Voo": "status",
}
LAYOUT = Layout(sep=";", columns=COLUMNS, required=frozenset(COLUMNS.values()))
CLOCK_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
CLOCKS = (("sched_dep", "Partida Prevista"), ("actual_dep", "Partida Real"),
          ("actual_arr", "Chegada Real"))
UTC_NOTE = re.compile(r"(horario|time)s?_(em|in)_utc")  # on header_key() of a line
STATUSES = {"realizado": "completed", "cancelado": "cancelled", "nao_informado": "scheduled"}
CODES = (  # our column, ANAC column, pattern
    ("carrier", "Sigla ICAO Empresa Aérea", r"[A-Z0-9]{3}"),
    ("flight_number", "Número Voo", r"[0-9A-Z]{1,5}"),
    ("origin", "Sigla ICAO Aeroporto Origem", r"[A-Z0-9]{3,4}"),
    ("dest", "Sigla ICAO Aeroporto Destino", r"[A-Z0-9]{3,4}"),
)


def read(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    with open_csv(path, LAYOUT, sniff_encoding(path)) as csv_file:
        says_utc = any(UTC_NOTE.search(header_key(line)) for line in csv_file.preamble)
        yield from csv_file.chunks(chunk_rows, clock_tz=UTC if says_utc else BRASILIA)


def normalize(chunk: Chunk, ref: Reference) -> Normalized:
    rows, problems = chunk.rows, RowProblems(chunk.rows.index)
    for column, name, pattern in CODES:
        problems.flag(~rows[column].str.upper().str.fullmatch(pattern),
                      f"missing or invalid {name}", rows[column])
    status = rows["status"].map(lambda text: STATUSES.get(header_key(text))).astype(STRING)
    problems.flag(status.isna(), "unknown Situação Voo", rows["status"])
    clock = {column: _clock(rows, column, name, problems) for column, name in CLOCKS}
    problems.flag(clock["sched_dep"].isna() & clock["actual_dep"].isna(),
                  "no departure time (Partida Prevista and Partida Real are empty)")

    zone = chunk.clock_tz or BRASILIA
    utc = {column: local_to_utc(value, zone) for column, value in clock.items()}
    flown = status.eq("completed").fillna(False).astype(bool)
    dep, arr = utc["actual_dep"].where(flown), utc["actual_arr"].where(flown)
    backwards = (arr < dep).fillna(False).astype(bool) & ~problems.bad
    carrier = rows["carrier"].str.upper()
    origin, dest = rows["origin"].str.upper(), rows["dest"].str.upper()
    origin_icao = icao_airports(origin)
    frame = pd.DataFrame({
        "line": chunk.lines,
        "dep_key": _clock_text(clock["sched_dep"]).fillna(
            "flown " + _clock_text(clock["actual_dep"])),
        # the local day of (scheduled, else actual) departure at the origin airport
        "flight_date": local_day(utc["sched_dep"].fillna(utc["actual_dep"]),
                                 ref.tz_of(origin_icao).fillna(zone)),
        "carrier_icao": carrier.where(carrier.str.fullmatch("[A-Z]{3}").fillna(False)),
        "carrier_code": carrier,
        "flight_number": rows["flight_number"].str.upper(),
        "callsign": pd.Series(pd.NA, index=rows.index, dtype=STRING),
        "icao24": pd.Series(pd.NA, index=rows.index, dtype=STRING),
        "origin_icao": origin_icao,
        "dest_icao": icao_airports(dest),
        "origin_code": origin,
        "dest_code": dest,
        "dep_time_utc": dep.astype(UTC_TS),
        "arr_time_utc": arr.mask(backwards).astype(UTC_TS),
        "sched_dep_utc": utc["sched_dep"],
        "status": status,
    })
    return Normalized(frame[~problems.bad], problems.report(chunk),
                      flagged(chunk, backwards, "arrival before departure: Chegada Real dropped"))


def _clock(rows: pd.DataFrame, column: str, name: str, problems: RowProblems) -> pd.Series:
    text = rows[column]
    value = pd.Series(pd.NaT, index=rows.index, dtype=NAIVE_TS)
    for clock_format in CLOCK_FORMATS:
        value = value.fillna(
            pd.to_datetime(text, format=clock_format, errors="coerce").astype(NAIVE_TS))
    problems.flag(value.isna() & text.ne(""), f"unparseable {name}", text)
    return value


def _clock_text(value: pd.Series) -> pd.Series:
    return value.dt.strftime("%Y-%m-%dT%H:%M").astype(STRING)
