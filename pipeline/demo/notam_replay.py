"""Write, for each demo night and ICAO location, what the FAA NOTAM API would have answered
that night: one geoJson page, stored in the raw zone as a real fetch would store it and
flagged synthetic. The only notice in it is the real KICZ A0012/25 (the FAA's security
advisory for the Maiquetia FIR); every other location and night gets the empty answer.
Real FIRs carry many more NOTAMs; those are not reproduced."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pipeline.config import FAA_NOTAM_API_URL
from pipeline.demo.replay import days_between
from pipeline.raw import RawZone
from pipeline.sources import faa_notam
from pipeline.sources.base import partition_name

NOTE = ("SYNTHETIC replay of the FAA NOTAM API: the response shape and the NOTAM id are made "
        "up; the text, times and limits of KICZ A0012/25 are the published ones")
# KICZ A0015/25, issued 16 Dec 2025, followed it; its text is not reproduced here.
REPLAY_LAST_NIGHT = date(2025, 12, 15)

# Published E) text of KICZ A0012/25 (see tests/fixtures/faa_notam/README.md for where from).
KICZ_A0012_25_TEXT = (
    "SECURITY..UNITED STATES OF AMERICA ADVISORY FOR POTENTIALLY HAZARDOUS SITUATION IN THE "
    "MAIQUETIA FLIGHT INFORMATION REGION (SVZM) OPERATORS ARE ADVISED TO EXERCISE CAUTION WHEN "
    "OPERATING IN THE MAIQUETIA FLIGHT INFORMATION REGION (SVZM FIR) AT ALL ALTITUDES DUE TO "
    "THE WORSENING SECURITY SITUATION AND HEIGHTENED MILITARY ACTIVITY IN OR AROUND VENEZUELA. "
    "THREATS COULD POSE A POTENTIAL RISK TO AIRCRAFT AT ALL ALTITUDES, INCLUDING DURING "
    "OVERFLIGHT, THE ARRIVAL AND DEPARTURE PHASES OF FLIGHT, AND/OR AIRPORTS AND AIRCRAFT ON "
    "THE GROUND.\n"
    "REFER TO THE BACKGROUND INFORMATION NOTICE FOR ADDITIONAL INFORMATION ON THREAT CONCERNS "
    "FOR U.S. CIVIL AVIATION OPERATIONS IN THE AFFECTED AIRSPACE AT "
    "HTTPS://WWW.FAA.GOV/AIR_TRAFFIC/PUBLICATIONS/US_RESTRICTIONS.\n"
    "PROVIDE AT LEAST 72-HOUR ADVANCE NOTICE OF PLANNED FLIGHTS TO THE FAA AT FAAWATCH@FAA.GOV "
    "WITH SPECIFIC FLIGHT DETAILS.\n"
    "REPORT ANY SAFETY/SECURITY INCIDENTS OBSERVED/EXPERIENCED WHILE OPERATING IN THE AFFECTED "
    "AIRSPACE TO THE FAA'S WASHINGTON OPERATIONS CENTER AT +1 (202) 267-3333"
)
KICZ_A0012_25: dict[str, Any] = {
    "type": "Feature",
    "properties": {
        "coreNOTAMData": {
            "notamEvent": {"scenario": "6000"},
            "notam": {
                "id": "NOTAM_1_SYNTHETIC_KICZ_A0012_25",
                "series": "A",
                "number": "A0012/25",
                "type": "N",
                "issued": "2025-11-21T18:08:00.000Z",
                "affectedFIR": "SVZM",
                "minimumFL": "000",
                "maximumFL": "999",
                "location": "SVZM",
                "effectiveStart": "2025-11-21T17:43:00.000Z",
                "effectiveEnd": "2026-02-19T23:59:00.000Z",
                "text": KICZ_A0012_25_TEXT,
                "classification": "INTL",
                "accountId": "KICZ",
                "lastUpdated": "2025-11-21T18:08:00.000Z",
                "icaoLocation": "SVZM",
                "lowerLimit": "SFC",
                "upperLimit": "UNL",
            },
            "notamTranslation": [{
                "type": "ICAO",
                "formattedText": (f"A0012/25 NOTAMN\nA) SVZM\nB) 2511211743\nC) 2602192359\n"
                                  f"E) {KICZ_A0012_25_TEXT}\nF) SFC   G) UNL"),
            }],
        }
    },
    "geometry": {"type": "GeometryCollection"},
}
NOTICES = (KICZ_A0012_25,)


def listed_at(location: str, moment: datetime) -> list[dict[str, Any]]:
    """The replayed notices the API listed for the location at that moment: issued, and not
    yet ended (the API lists notices as soon as they are issued, before they start)."""
    return [item for item in NOTICES if _listed(item["properties"]["coreNOTAMData"]["notam"],
                                                location, moment)]


def _listed(notam: dict[str, Any], location: str, moment: datetime) -> bool:
    issued, ends = (datetime.fromisoformat(notam[key]) for key in ("issued", "effectiveEnd"))
    return notam["icaoLocation"] == location and issued <= moment < ends


def api_answer(items: list[dict[str, Any]]) -> dict[str, Any]:
    """One page in the API's geoJson shape (an empty answer has totalPages 0)."""
    return {"pageSize": faa_notam.PAGE_SIZE, "pageNum": 1, "totalCount": len(items),
            "totalPages": 1 if items else 0, "items": items}


def write_notam_replay(raw: RawZone, locations: Iterable[str], start: date, end: date) -> int:
    """Store one page per location and night, as asked just after the night's day ended
    (when the nightly run fetches it); returns how many."""
    if end > REPLAY_LAST_NIGHT:
        raise ValueError(f"the NOTAM replay knows the notices up to {REPLAY_LAST_NIGHT} only "
                         f"(got {end})")
    locations, written = list(locations), 0
    for day in days_between(start, end):
        asked_at = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
        for location in locations:
            items = listed_at(location, asked_at)
            with raw.fetch(faa_notam.SOURCE, partition_name(day, location),
                           synthetic=True) as batch:
                batch.add(request="page-1", url=f"{FAA_NOTAM_API_URL}/notams",
                          params=faa_notam.request_params(location, 1), status=200,
                          body=json.dumps(api_answer(items)).encode(), fetched_at=asked_at,
                          note=NOTE)
            written += 1
    return written
