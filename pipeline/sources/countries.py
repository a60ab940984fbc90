"""Countries reference: ISO 3166-1 alpha-2 codes and English names from the CLDR data that the
`babel` package ships (offline). `EU` is kept: the registry uses it as a jurisdiction.
A snapshot source: one partition, `cldr`."""

from __future__ import annotations

import importlib.metadata
import json
from datetime import date

import pandas as pd
import pandera.pandas as pa

from pipeline.reference.countries import country_names
from pipeline.sources.base import FetchContext, NormalizeContext, Response
from pipeline.watchlist import Watchlist

SOURCE = "countries"
TABLE = "countries"
SNAPSHOT = True
PARTITION = "cldr"
STRING = pd.StringDtype()

COUNTRIES = pa.DataFrameSchema(
    {
        "country": pa.Column(STRING, unique=True, checks=pa.Check.str_matches(r"^[A-Z]{2}$")),
        "name": pa.Column(STRING),
        "source_partition": pa.Column(STRING),
    },
    strict=True,
    ordered=True,
)


def partition_keys(watchlist: Watchlist) -> list[str]:
    return [PARTITION]


def fetch(ctx: FetchContext, day: date, key: str) -> None:
    names = country_names()
    version = importlib.metadata.version("babel")
    with ctx.raw.fetch(SOURCE, PARTITION) as batch:
        batch.add(request="territories", url=f"python-package:babel/{version}",
                  params={"locale": "en"}, status=200,
                  body=json.dumps(names, sort_keys=True, ensure_ascii=False).encode(),
                  fetched_at=ctx.now())


def normalize(responses: list[Response], ctx: NormalizeContext, day: date, key: str
              ) -> pd.DataFrame:
    [response] = responses
    names = json.loads(response.body)
    frame = pd.DataFrame({"country": list(names), "name": list(names.values())}, dtype=STRING)
    frame["source_partition"] = pd.Series(PARTITION, index=frame.index, dtype=STRING)
    return COUNTRIES.validate(frame.sort_values("country").reset_index(drop=True))
