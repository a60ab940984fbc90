"""Nightly change report: what changed on one UTC day for the watched countries, as HTML and
Markdown with PNG plots, under $FDP_HOME/reports/<day>/. It reads only the published copy of
the database, so it never waits for or blocks a load, and it shows only what was known on that
day: events detected later are left out, so a report made again later says the same.

Along the flow: data.py reads (sql/report/*.sql); sections.py says what each part of the
report says (cells.py formats the values, confidence.py says how sure a route event is in
words); plots.py draws the PNGs; render.py fills the templates and swaps the folder in.
model.py holds the values passed between them."""

from pipeline.report.model import Header, Lines, Link, Plot, Report, Scope, Section, Table
from pipeline.report.render import write_report
from pipeline.report.sections import build, header

__all__ = ["Header", "Lines", "Link", "Plot", "Report", "Scope", "Section", "Table", "build",
           "header", "write_report"]
