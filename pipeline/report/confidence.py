"""How sure the report is of a route event, in words: the one place the words are defined.

route_events gives a suspension `evidence` (what decided it) and `confidence` = 1 - P, P the
chance that the route, still flying to its own weekday pattern, would have been silent that
long (sql/derive/040_route_events.sql). P is not the chance that the alert is wrong: the wrong
alerts on real data are routes that really paused, for 4 to 6 days, and came back within the
week (`make bench-detect`), which P does not count. So the word says how often alerts of the
same kind were right, on the scale of the IPCC's calibrated likelihood language (very likely:
at least 9 times in 10; likely: at least 2 times in 3), and P is shown beside it as odds:
- "very likely": the silence alone decided. `make bench-detect` on half a year of real US
  flights: about 9 such alerts in 10 right. P did not sort right from wrong there (all such
  alerts have P <= 1e-4), so the word does not vary with it. Also an act with a silence the
  silence rule would take too (P <= 1e-4 over 4 days or more).
- "likely": an act naming the carrier, or a country-wide act, known by the detection day, and
  a shorter silence (the route missed at least a day it usually flies). The real set has no
  acts, so this is not measured; the silence behind it is weaker, so it is one step below.
- "observed": a start or a resumption: the flights were seen.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

import pandas as pd

VERY_LIKELY = "very likely"
LIKELY = "likely"
OBSERVED = "observed"
UNRATED = "not rated"  # a suspension without evidence: derived before the column existed
SILENCE_P = 1e-4  # the detector's silence rule; odds below it are not worth more digits
SILENCE_DAYS = 4  # and the fewest silent days it asks for
ACT_EVIDENCE = {"carrier act": "an act names the carrier",
                "country act": "a country-wide act"}

NOTE = (
    "How sure, in the words of the IPCC's likelihood scale (very likely: right at least 9 "
    "times in 10; likely: at least 2 times in 3). Very likely: the route's silence alone "
    "decided (on half a year of real US flights about 9 such alerts in 10 were right, the "
    "route flying nothing for a week or more; the others were pauses of a few days), or an act "
    "as below came with a silence that alone would do. Likely: an act naming the carrier, or "
    "a country-wide act, was known by the detection day and the route had missed at least a "
    "day it usually flies; not measured on real data. In brackets: how often the route, still "
    "flying to its usual weekday pattern, would be that silent. Observed: the flights were "
    "seen.")


class RouteEvent(Protocol):
    """A row of sql/report/route_events.sql or routes_suspended.sql."""

    event_type: str
    evidence: str | None
    confidence: float
    last_flight_date: date  # a pandas Timestamp is one too
    detected_on: date


def how_sure(event: RouteEvent) -> str:
    """E.g. 'very likely: no flight for 5 days (if it still flew, this quiet under 1 time in
    10,000)'."""
    if event.event_type == "started":
        return f"{OBSERVED}: a first flight in a year, another within 14 days"
    if event.event_type == "resumed":
        return f"{OBSERVED}: it flew again"
    silent = (pd.Timestamp(event.detected_on) - pd.Timestamp(event.last_flight_date)).days
    silence = f"no flight for {silent} day{'' if silent == 1 else 's'} ({odds(event.confidence)})"
    if event.evidence == "silence":
        return f"{VERY_LIKELY}: {silence}"
    if event.evidence in ACT_EVIDENCE:
        strong = 1 - event.confidence <= SILENCE_P and silent >= SILENCE_DAYS
        return f"{VERY_LIKELY if strong else LIKELY}: {ACT_EVIDENCE[event.evidence]}; {silence}"
    return f"{UNRATED}: {silence}"


def odds(confidence: float) -> str:
    """P = 1 - confidence as '1 time in N', N to two significant figures."""
    chance = 1 - confidence
    if chance <= SILENCE_P:
        return f"if it still flew, this quiet under 1 time in {1 / SILENCE_P:,.0f}"
    times = 1 / chance
    digits = max(0, len(str(int(times))) - 2)
    return f"if it still flew, this quiet 1 time in {round(times, -digits):,.0f}"
