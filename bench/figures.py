"""The benchmark's figures: one row each, printed as a table and written as CSV."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    item: str  # the numbering: 1-7
    name: str
    value: float
    unit: str
    ratio: float | None = None  # against `ratio_of`, computed in the same run
    ratio_of: str = ""
    target: str = ""  # e.g. ">= 0.5"
    met: bool | None = None
    note: str = ""


def ratio_figure(item: str, name: str, value: float, unit: str, ratio: float, ratio_of: str,
                 *, at_least: float | None = None, at_most: float | None = None,
                 note: str = "") -> Figure:
    if at_least is not None:
        target, met = f">= {at_least:g}", ratio >= at_least
    elif at_most is not None:
        target, met = f"<= {at_most:g}", ratio <= at_most
    else:
        target, met = "", None
    return Figure(item, name, value, unit, ratio, ratio_of, target, met, note)


def limit_figure(item: str, name: str, value: float, unit: str, limit: float,
                 note: str = "") -> Figure:
    return Figure(item, name, value, unit, target=f"< {limit:g} {unit}", met=value < limit,
                  note=note)


def table(figures: list[Figure]) -> str:
    rows = [("#", "figure", "value", "ratio", "target", "met")]
    for f in figures:
        ratio = "" if f.ratio is None else f"{f.ratio:.3g} x {f.ratio_of}"
        met = "" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.item, f.name, f"{_number(f.value)} {f.unit}", ratio, f.target, met))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _number(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value < 10 else f"{value:.1f}"


def write_csv(path: Path, figures: list[Figure], context: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        fields = [*context, *asdict(figures[0])]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for figure in figures:
            writer.writerow({**context, **asdict(figure)})
