"""Writing a report: the HTML and Markdown templates beside this module, and the folder swap
that replaces a day's report whole, so no reader sees half of one."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import quote

import jinja2

from pipeline import store
from pipeline.config import Settings
from pipeline.errors import PipelineError
from pipeline.raw import RawZone
from pipeline.report.model import Lines, Link, Report, Scope
from pipeline.report.sections import build
from pipeline.watchlist import load_watchlist

TEMPLATES = Path(__file__).with_name("templates")


def write_report(settings: Settings, day: date, out: Path | None = None) -> Path:
    """Write the report of UTC day `day` to `out` (default $FDP_HOME/reports/<day>), replacing
    an earlier one whole; returns the path of report.html."""
    target = (out or settings.reports_dir / day.isoformat()).resolve()
    _check_replaceable(target)
    scope = Scope(day, load_watchlist(settings.watchlist_path))
    with store.connect_published(settings) as con:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        staging.mkdir()
        try:
            report = build(con, scope, RawZone(settings.raw_dir), staging)
            for name in ("report.html", "report.md"):
                (staging / name).write_text(render(report, name), encoding="utf-8")
            _swap_in(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # still there only if something failed
    return target / "report.html"


def render(report: Report, template: str) -> str:
    """report.html (autoescaped) or report.md (cells escaped by the md filter)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters["md"] = _markdown
    env.filters["md_url"] = _markdown_url
    env.tests["link"] = lambda value: isinstance(value, Link)
    env.tests["lines"] = lambda value: isinstance(value, Lines)
    return env.get_template(template).render(report=report)


def _markdown(text: object) -> str:
    """Text safe in a Markdown table cell: punctuation escaped, one line."""
    escaped = "".join(f"\\{c}" if c in "\\`*_[]<>|#!" else c for c in str(text))
    return " ".join(escaped.split())


def _markdown_url(url: str) -> str:
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~.-_")


def _check_replaceable(target: Path) -> None:
    """Only an earlier report (or an empty folder) is replaced, never a folder of other files
    that --out happened to name."""
    if target.exists() and (not target.is_dir() or (
            any(target.iterdir()) and not (target / "report.html").exists())):
        raise PipelineError(f"{target} exists and is not a report folder; it is left alone. "
                            "Choose a new or empty folder with --out")


def _swap_in(finished: Path, target: Path) -> None:
    """Readers see the old report or the new one (for an instant neither), never half of one."""
    old = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.old")
    try:
        target.rename(old)
    except FileNotFoundError:
        old = None
    finished.rename(target)
    if old is not None:
        shutil.rmtree(old)
