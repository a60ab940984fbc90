"""The nightly change report (pipeline/report/, sql/report/) on a small published database
with known answers: what each section lists, what it leaves out because it was not known yet,
how sure it says route events are, how empty sections read, escaping, synthetic labels, and how
the folder is written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline import report, store
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.errors import PipelineError
from pipeline.raw import RawZone, combined_sha256
from pipeline.report import confidence
from pipeline.watchlist import load_watchlist

D = date(2025, 3, 20)  # the report day
HUB = [f"Z{n:03d}" for n in range(12)]  # background traffic at SVMI, so every day has data


def d(offset: int) -> date:
    return D + timedelta(days=offset)


def add_flights(con, carrier: str, origin: str, dest: str, first: int, last: int) -> None:
    con.executemany(
        "INSERT INTO flights (flight_id, source, source_partition, flight_date, carrier_icao, "
        "origin_icao, dest_icao, status, run_id, loaded_at) "
        "VALUES (?, 'opensky', 'p', ?, ?, ?, ?, 'observed', 't', now())",
        [(f"{carrier}{origin}{dest}{n}", d(n), carrier, origin, dest)
         for n in range(first, last + 1)])


def act(con, action_id: str, action: str, carrier: str, effective: date, end: date | None = None,
        name: str | None = None, url: str = "https://example.org/act",
        announced: date | None = None) -> None:
    con.execute(
        "INSERT INTO permit_actions (action_id, authority, action, carrier_icao, carrier_name, "
        "jurisdiction_country, effective_date, end_date, announced_date, source_url, "
        "source_partition, run_id, loaded_at) "
        "VALUES (?, 'INAC', ?, ?, ?, 'VE', ?, ?, ?, ?, 'registry', 't', now())",
        [action_id, action, carrier, name, effective, end, announced, url])


def notice(con, notice_id: str, category: str, start: date, end: date | None, seen: date) -> None:
    con.execute(
        "INSERT INTO airspace_notices (notice_id, notice_key, fir, location, notam_type, "
        "category, effective_start, effective_end, end_estimated, lower_fl, upper_fl, text, "
        "source_url, source, source_partition, first_seen_partition, run_id, loaded_at) "
        "VALUES (?, ?, 'SVZM', 'SVZM', 'N', ?, ?, ?, false, 0, 999, ?, "
        "'https://example.org/notam', 'faa_notam', 'p', ?, 't', now())",
        [notice_id, notice_id, category, start, end, f"{category.upper()} NOTICE\nsecond line",
         f"{seen}/SVZM"])


def build_home(home: Path) -> Path:
    """Flights D-60 .. D+3: IBE LEMD-SVMI stops after D-6 (detected D-2 by its silence), TAP
    LPPT-SVMI after D-2 (detected D+2, after the report day), AVA SKBO-SVMI flies on. INAC
    revokes IBE on D-1 and suspends it from D-4, but announces that only on D+2; AVA's
    suspension ends on D-2; TAP's revocation takes effect on D+2. Notices over SVZM (the area
    of SVMI): an advisory from D-3, a prohibition from D-10 first seen on D+1, a closure from
    D-10 to D-5."""
    settings = Settings.from_env({"FDP_HOME": str(home)})
    with store.connect(settings.duckdb_path) as con:
        con.execute(
            "INSERT INTO airports (airport_icao, name, city, country, lat, lon, "
            "source_partition, run_id, loaded_at) SELECT code, code, city, country, 0, 0, "
            "'t', 't', now() FROM (VALUES ('SVMI', 'Caracas', 'VE'), ('LEMD', 'Madrid', 'ES'), "
            "('LPPT', 'Lisbon', 'PT'), ('SKBO', 'Bogota', 'CO')) v(code, city, country)")
        con.executemany("INSERT INTO airports (airport_icao, name, country, lat, lon, "
                        "source_partition, run_id, loaded_at) "
                        "VALUES (?, ?, 'ZZ', 0, 0, 't', 't', now())", [(z, z) for z in HUB])
        con.execute("INSERT INTO airlines (airline_icao, name, country, origin, "
                    "source_partition, run_id, loaded_at) VALUES "
                    "('IBE', 'Iberia', 'ES', 'curated', 't', 't', now()), "
                    "('AVA', 'Avianca', 'CO', 'curated', 't', 't', now())")
        con.execute("INSERT INTO countries VALUES ('VE', 'Venezuela', 't', 't', now()), "
                    "('CO', 'Colombia', 't', 't', now())")
        for z in HUB:
            add_flights(con, "HUB", "SVMI", z, -60, 3)
        add_flights(con, "IBE", "LEMD", "SVMI", -60, -6)
        add_flights(con, "TAP", "LPPT", "SVMI", -60, -2)
        add_flights(con, "AVA", "SKBO", "SVMI", -60, 3)
        act(con, "rev-ibe", "revoked", "IBE", d(-1))
        act(con, "sus-ibe-late", "suspended", "IBE", d(-4), url="https://example.org/late",
            announced=d(2))
        act(con, "sus-ava", "suspended", "AVA", d(-40), d(-2))
        act(con, "rev-tap", "revoked", "TAP", d(2))
        act(con, "sus-lpe", "suspended", "LPE", d(-400), name="LATAM Peru")
        notice(con, "KICZ A0001/25", "advisory", d(-3), d(30), seen=d(-3))
        notice(con, "KICZ A0002/25", "prohibition", d(-10), None, seen=d(1))  # seen after D
        notice(con, "KICZ A0003/25", "closure", d(-10), d(-5), seen=d(-10))  # over before D
        store.rebuild_derived(con)
        store.publish(con, settings)
    return home


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return build_home(tmp_path_factory.mktemp("report") / "fdp")


def sections(home: Path, day: date = D) -> dict[str, report.Section]:
    settings = Settings.from_env({"FDP_HOME": str(home)})
    scope = report.Scope(day, load_watchlist(None))
    with store.connect_published(settings) as con:
        built = report.build(con, scope, RawZone(settings.raw_dir), home)
    return {section.anchor: section for section in built.sections}


def texts(row: tuple) -> tuple[str, ...]:
    return tuple(cell.text if isinstance(cell, report.Link) else cell for cell in row)


def test_carriers_new_and_ended_in_the_week_and_in_force_with_their_act(home):
    carriers = sections(home)["carriers"]
    changed, in_force = carriers.tables
    assert [texts(r)[:7] for r in changed.rows] == [
        ("new", str(d(-1)), "IBE", "Iberia", "VE", "revoked", "INAC"),
        ("ended", str(d(-2)), "AVA", "Avianca", "VE", "suspended", "INAC")]
    assert changed.rows[0][7] == str(d(-6))  # IBE's last flight to Venezuela
    assert changed.rows[0][8] == report.Link("rev-ibe", "https://example.org/act")
    assert [texts(r)[:5] for r in in_force.rows] == [
        ("IBE", "Iberia", "VE", "revoked", str(d(-1))),
        ("LPE", "LATAM Peru", "VE", "suspended", str(d(-400)))]  # TAP's act is not in force yet
    assert in_force.marked == [True, False]
    assert carriers.summary.startswith("1 new and 1 ended restriction(s)")
    assert [p.file for p in carriers.plots] == ["carriers.png"]
    assert (home / "carriers.png").read_bytes().startswith(b"\x89PNG")


def test_routes_show_only_what_was_detected_by_the_report_day(home):
    routes = sections(home)["routes"]
    detected, causes, suspended = routes.tables
    assert [texts(r)[:5] for r in detected.rows] == [
        (str(d(-2)), "suspended", "IBE Iberia", "LEMD (Madrid) → SVMI (Caracas)", str(d(-5)))]
    assert [texts(r)[:4] for r in suspended.rows] == [
        ("IBE Iberia", "LEMD (Madrid) → SVMI (Caracas)", str(d(-5)), str(d(-6)))]
    assert [texts(r)[:3] for r in causes.rows] == [
        ("IBE Iberia", "LEMD (Madrid) → SVMI (Caracas)", str(d(-6)))]
    assert [p.file for p in routes.plots] == ["routes.png"]
    # TAP stopped after D-2 but the evidence sufficed only on D+2: news of that night
    later = sections(home, d(2))["routes"]
    assert [texts(r)[0:3] for r in later.tables[0].rows] == [
        (str(d(2)), "suspended", "TAP"), (str(d(-2)), "suspended", "IBE Iberia")]
    assert later.tables[0].marked == [True, False]
    assert later.tables[1].marked == [True, False]


def cause_lines(home: Path, day: date, route: str) -> list[report.Link | str]:
    """The likely causes the report of `day` gives for the suspension on `route`."""
    [causes] = [t for t in sections(home, day)["routes"].tables
                if t.title.startswith("Likely causes")]
    [lines] = [row[3] for row in causes.rows if texts(row)[1] == route]
    return list(lines.items)


def test_each_suspension_shows_the_causes_known_on_the_report_day_linked(home):
    ibe = "LEMD (Madrid) → SVMI (Caracas)"  # last flight D-6
    assert cause_lines(home, D, ibe) == [
        report.Link("INAC revoked IBE's permit in VE from 19 Mar 2025, 5 days after the last "
                    "flight", "https://example.org/act"),
        report.Link("NOTAM KICZ A0001/25 (advisory over SVZM) in force from 17 Mar 2025, 3 "
                    "days after the last flight", "https://example.org/notam"),
        report.Link("NOTAM KICZ A0003/25 (closure over SVZM) in force from 10 Mar 2025, 4 "
                    "days before the last flight", "https://example.org/notam")]
    # D+3: the suspension announced on D+2 is known, and nearer the stop than the revocation;
    # the prohibition first seen on D+1 too, and the carrier-wide stop (known a week after)
    later = cause_lines(home, d(3), ibe)
    assert later[:2] == [
        report.Link("INAC suspended IBE in VE from 16 Mar 2025, 2 days after the last flight",
                    "https://example.org/late"),
        report.Link("INAC revoked IBE's permit in VE from 19 Mar 2025, 5 days after the last "
                    "flight", "https://example.org/act")]
    assert later[3:] == ["and 4 more of lower rank"]


def test_a_cause_announced_or_seen_after_the_report_day_is_not_shown(home):
    ibe = "LEMD (Madrid) → SVMI (Caracas)"
    shown = " ".join(line.text if isinstance(line, report.Link) else line
                     for line in cause_lines(home, D, ibe))
    assert "suspended IBE" not in shown  # announced on D+2
    assert "A0002/25" not in shown  # the pipeline first saw it on D+1
    assert "flew nothing" not in shown  # a carrier-wide stop is known a week after
    assert "A0002/25" in " ".join(line.text for line in cause_lines(home, d(1), ibe)[:3])


def event(evidence: str | None, event_confidence: float, silent_days: int,
          event_type: str = "suspended") -> SimpleNamespace:
    return SimpleNamespace(event_type=event_type, evidence=evidence, confidence=event_confidence,
                           last_flight_date=D, detected_on=d(silent_days))


def test_how_sure_says_what_decided_in_words_and_the_odds_of_the_silence():
    assert confidence.how_sure(event("silence", 1 - 2e-6, 5)) == (
        "very likely: no flight for 5 days (if it still flew, this quiet under 1 time in "
        "10,000)")
    assert confidence.how_sure(event("carrier act", 0.75, 1)) == (
        "likely: an act names the carrier; no flight for 1 day (if it still flew, this quiet 1 "
        "time in 4)")
    assert confidence.how_sure(event("country act", 1 - 1 / 16, 2)) == (
        "likely: a country-wide act; no flight for 2 days (if it still flew, this quiet 1 time "
        "in 16)")
    # an act with a silence the silence rule would take too: as sure as the silence alone
    assert confidence.how_sure(event("carrier act", 1 - 5e-5, 4)).startswith(
        "very likely: an act names the carrier; no flight for 4 days")
    assert confidence.how_sure(event("carrier act", 1 - 5e-5, 3)).startswith("likely: ")
    assert confidence.how_sure(event(None, 0.99, 3)).startswith("not rated: no flight for 3")
    assert confidence.how_sure(event(None, 1.0, 0, "resumed")) == "observed: it flew again"
    assert confidence.how_sure(event(None, 0.63, 0, "started")).startswith("observed: ")


def test_odds_keep_two_significant_figures():
    assert [confidence.odds(1 - p) for p in (0.5, 1 / 13.4, 1 / 1333, 1e-4 / 2)] == [
        f"if it still flew, this quiet {odds}" for odds in (
            "1 time in 2", "1 time in 13", "1 time in 1,300", "under 1 time in 10,000")]


def test_the_route_tables_say_how_sure_in_words_and_the_notes_define_them(home):
    routes = sections(home, d(2))["routes"]
    detected, _, suspended = routes.tables
    assert detected.columns[-1] == suspended.columns[-1] == "How sure"
    assert [texts(r)[-1] for r in detected.rows] == [
        "very likely: an act names the carrier; no flight for 4 days (if it still flew, this "
        "quiet under 1 time in 10,000)",  # TAP, detected the day INAC revoked it
        "very likely: no flight for 4 days (if it still flew, this quiet under 1 time in "
        "10,000)"]
    assert confidence.NOTE in routes.notes


def test_notices_in_force_that_were_known_on_the_day(home):
    [table] = sections(home)["notices"].tables
    assert [texts(r) for r in table.rows] == [
        ("KICZ A0001/25", "SVZM", "advisory", f"{d(-3)} 00:00", f"{d(30)} 00:00",
         "FL000-FL999", "ADVISORY NOTICE")]
    assert [texts(r)[0] for r in sections(home, d(1))["notices"].tables[0].rows] == [
        "KICZ A0002/25", "KICZ A0001/25"]  # prohibitions first


def test_traffic_per_watched_country_against_baseline(home):
    traffic = sections(home)["traffic"]
    [table] = traffic.tables
    # VE on D: 12 hub flights + AVA; the same weekday before also had IBE and TAP
    assert [texts(r) for r in table.rows] == [
        ("Colombia (CO)", "1", "1.0", "100%", "0", ""),
        ("Venezuela (VE)", "13", "15.0", "87%", "0", "")]
    assert any("No flights in the 28 days" in note and "BR" in note for note in traffic.notes)
    assert [p.file for p in traffic.plots] == ["traffic.png"]


def test_empty_sections_say_so(home):
    quiet = sections(home, d(-500))
    assert all(not table.rows for section in quiet.values() for table in section.tables)
    assert quiet["carriers"].tables[0].empty.startswith("No new or ended carrier restrictions")
    assert quiet["routes"].tables[1].empty.startswith("No route touching the watched countries")
    assert all(not section.plots for section in quiet.values())
    html = report.write_report(Settings.from_env({"FDP_HOME": str(home)}), d(-500)).read_text()
    assert "Nothing was loaded for" in html
    assert html.count('class="empty"') == 10  # one a table
    assert quiet["detours"].tables[1].empty.startswith("No flight loaded in those days crosses")


def test_header_labels_synthetic_raw_answers_and_names_unchecked_ones(tmp_path):
    settings = Settings.from_env({"FDP_HOME": str(tmp_path / "fdp")})
    raw = RawZone(settings.raw_dir)
    now = datetime(2025, 3, 21, tzinfo=UTC)
    for partition, synthetic in ((f"{D}/SVMI", True), (f"{D}/SVMC", False)):
        with raw.fetch("opensky", partition, synthetic=synthetic) as batch:
            batch.add(request="arrival", url="u", params={}, status=200,
                      body=partition.encode(), fetched_at=now)
    loads = [(f"{D}/SVMI", combined_sha256(raw.latest("opensky", f"{D}/SVMI"))),
             (f"{D}/SVMC", combined_sha256(raw.latest("opensky", f"{D}/SVMC"))),
             (f"{D}/SVBC", "not-in-the-raw-zone")]
    with store.connect(settings.duckdb_path) as con:
        con.execute(store.sql_file("load/load_log_insert.sql"), {
            "run_id": "run-1", "sources": ["opensky"] * 3, "partitions": [p for p, _ in loads],
            "rows": [1] * 3, "raw_sha256s": [sha for _, sha in loads],
            "content_sha256s": ["c"] * 3, "started_at": now, "finished_at": now,
            "statuses": ["loaded"] * 3, "messages": [""] * 3, "merged": [0] * 3})
        store.publish(con, settings)
        with store.connect_published(settings) as published:
            header = report.header(published, report.Scope(D, load_watchlist(None)), raw)
    assert header.synthetic.startswith("SYNTHETIC DEMO DATA: the opensky answers")
    assert any("3 partitions (opensky)" in fact and "run-1" in fact for fact in header.facts)
    assert header.warnings == [f"The raw answers behind 1 loaded partition(s) are not in "
                               f"{settings.raw_dir}, so whether they were synthetic could not "
                               "be checked."]


def test_data_is_escaped_and_only_web_links_are_links(tmp_path):
    settings = Settings.from_env({"FDP_HOME": str(build_home(tmp_path / "fdp"))})
    with store.connect(settings.duckdb_path) as con:
        con.execute("UPDATE permit_actions SET carrier_name = '<script>x</script> | *b*', "
                    "source_url = 'javascript:alert(1)' WHERE action_id = 'sus-lpe'")
        store.publish(con, settings)
    folder = report.write_report(settings, D).parent
    html = (folder / "report.html").read_text()
    markdown = (folder / "report.md").read_text()
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt; | *b*" in html
    assert "javascript:" not in html and "javascript:" not in markdown
    assert r"\<script\>x\</script\> \| \*b\*" in markdown


def test_write_report_replaces_the_folder_whole_and_is_deterministic(home):
    settings = Settings.from_env({"FDP_HOME": str(home)})
    html = report.write_report(settings, D)
    folder = html.parent
    assert folder == settings.reports_dir / str(D)
    assert sorted(p.name for p in folder.iterdir()) == [
        "carriers.png", "report.html", "report.md", "routes.png", "traffic.png"]
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    (folder / "stale.png").write_bytes(b"old")
    report.write_report(settings, D)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first
    assert not [p for p in settings.reports_dir.iterdir() if p.name.startswith(".")]  # no temp
    assert 'src="routes.png"' in first["report.html"].decode()  # relative: the folder moves


def test_an_out_folder_that_is_not_a_report_is_left_alone(home, tmp_path):
    settings = Settings.from_env({"FDP_HOME": str(home)})
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(PipelineError, match="not a report folder"):
        report.write_report(settings, D, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_fdp_report_prints_the_html_path(home, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("FDP_HOME", str(home))
    with pytest.raises(SystemExit) as shown:
        main(["report", "--help"])
    assert shown.value.code == 0 and "reports/DATE" in capsys.readouterr().out
    assert main(["report", "--date", str(D), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "out" / "report.html")


def test_fdp_report_before_anything_is_published_says_what_to_run(fdp_env, capsys):
    assert main(["report", "--date", str(D)]) == 1
    assert "nothing is published" in capsys.readouterr().err
    assert not fdp_env.exists()
