"""The nightly change report on the demo's data: the DAG wrote one per night, and
`fdp report --date 2025-11-27` writes HTML that headless Chromium renders with every plot,
showing the INAC revocations of 26 Nov, the routes suspended by then, how sure each is and
their likely causes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import DEMO_NIGHTS

from pipeline.cli import main

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
DAY = "2025-11-27"
REVOKED_BY_INAC = ["ARE", "AVA", "GLO", "IBE", "TAP", "THY"]
# (carrier, origin, destination) suspended on 27 Nov as detected by that night: both
# directions of each service of the six carriers INAC revoked, of Laser and of Air Europa
SUSPENDED = {(carrier, *ends) for carrier, hub in (
    ("AEA", "LEMD"), ("ARE", "SKBO"), ("AVA", "SKBO"), ("GLO", "SBGR"), ("IBE", "LEMD"),
    ("LER", "LEMD"), ("TAP", "LPPT"), ("THY", "LTFM")) for ends in ((hub, "SVMI"), ("SVMI", hub))}
PLOTS = ["carriers.png", "routes.png", "detours.png", "traffic.png"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator:
    """Debian's headless Chromium through its chromedriver; Selenium downloads nothing."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not installed: the report render test needs "
                    "Debian's chromium and chromium-driver. Run `make system-deps`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=1200,900",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(argument)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager, should anything call it
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def written(demo_home, tmp_path_factory) -> Path:
    """`fdp report --date 2025-11-27` on the demo, into a folder of its own."""
    out = tmp_path_factory.mktemp("report") / DAY
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FDP_HOME", str(demo_home))
        assert main(["report", "--date", DAY, "--out", str(out)]) == 0
    return out


def test_the_dag_wrote_a_report_every_night(demo_home):
    first, last = DEMO_NIGHTS
    nights = [str(first + timedelta(days=n)) for n in range((last - first).days + 1)]
    reports = demo_home / "reports"
    assert sorted(p.name for p in reports.iterdir()) == nights
    assert all((reports / night / "report.html").is_file() for night in nights)


def test_a_report_made_later_shows_what_the_night_showed(demo_home, written):
    """The nightly report of 27 Nov and one made after the 30 Nov night agree: the plots
    byte for byte, the sections word for word (only the header knows about later nights)."""
    nightly = demo_home / "reports" / DAY
    for plot in PLOTS:
        assert (written / plot).read_bytes() == (nightly / plot).read_bytes(), plot

    def body(folder: Path) -> str:
        text = (folder / "report.md").read_text()
        return text[text.index("\n## "):]

    assert body(written) == body(nightly)


def test_fdp_report_renders_in_chromium_with_its_plots(written, browser, tmp_path):
    assert sorted(p.name for p in written.iterdir()) == sorted(
        [*PLOTS, "report.html", "report.md"])
    browser.get((written / "report.html").as_uri())
    images = browser.execute_script(
        "return [...document.images].map(i => [i.getAttribute('src'), i.complete, "
        "i.naturalWidth, i.naturalHeight])")
    assert [src for src, *_ in images] == PLOTS
    assert all(complete and width > 0 and height > 0 for _, complete, width, height in images)
    text = browser.find_element("tag name", "body").text
    assert "SYNTHETIC DEMO DATA" in text
    browser.save_screenshot(str(tmp_path / "report.png"))  # kept for a look on failure

    new = rows(browser, "#carriers table", 0)  # new and ended in the 7 days to 27 Nov
    revoked = [r for r in new if r[5] == "revoked" and r[6] == "INAC"]
    assert sorted(r[2] for r in revoked) == REVOKED_BY_INAC
    assert {(r[0], r[1], r[4]) for r in revoked} == {("new", "2025-11-26", "VE")}
    links = browser.execute_script(
        "return [...document.querySelectorAll('#carriers table')[0].querySelectorAll('a')]"
        ".map(a => a.href)")
    assert len(links) == len(new) and all(url.startswith(("https://", "http://"))
                                          for url in links)

    detected = rows(browser, "#routes table", 0)  # detected in the 7 days to 27 Nov
    assert all(r[-1].startswith(("likely: ", "very likely: ")) for r in detected)
    suspended = rows(browser, "#routes table", 2)  # suspended on 27 Nov
    assert {(r[0].split()[0], *route(r[1])) for r in suspended} == SUSPENDED
    assert all(carrier in text for carrier in REVOKED_BY_INAC)

    causes = rows(browser, "#routes table", 1)  # of each suspension detected in the 7 days
    assert len(causes) == len(detected)
    revoked_routes = [r for r in causes if r[0].split()[0] in REVOKED_BY_INAC]
    assert revoked_routes and all(f"INAC revoked {r[0].split()[0]}'s permit in VE" in r[3]
                                  for r in revoked_routes)
    links = browser.execute_script(
        "return [...document.querySelectorAll('#routes table')[1].querySelectorAll('a')]"
        ".map(a => a.href)")
    assert len(links) >= len(causes) and all(url.startswith(("https://", "http://"))
                                             for url in links)


def rows(browser, selector: str, index: int) -> list[list[str]]:
    return browser.execute_script(
        "const t = document.querySelectorAll(arguments[0])[arguments[1]];"
        "return [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim()))",
        selector, index)


def route(text: str) -> tuple[str, str]:
    """'SKBO (Bogota) → SVMI (Caracas)' -> ('SKBO', 'SVMI')"""
    origin, dest = text.split("→")
    return origin.split()[0], dest.split()[0]

