"""Statistical disclosure control for confidential survey files, and the leak scan after a build.

Rules (Statistics Norway's rule of thumb, see the book's methods): no published table cell may count fewer than
``MIN_CELL`` = 3 municipalities, and suppression must be *secondary* too — once a cell is hidden, enough other
cells in its row are hidden that it cannot be recomputed from a total. No unit-level rows and no municipality
names or numbers may appear next to survey answers.

Synthetic scenarios are exempt (their answers are simulated); every page that shows them says so.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from vsr_analysis.stats.small_cells import MIN_CELL, SUPPRESSED, suppress_small_cells  # noqa: F401 (re-exported)


def unit_identifiers() -> tuple[set[str], set[str]]:
    from vsr_analysis.data.register import load_register

    register = load_register()
    codes = set(register["knr"].astype(str))
    # Names of 5+ letters only: short names (Os, Nes, Vik, Hole) are ordinary words in prose.
    names = {n for n in register["name"].astype(str) if len(n) >= 5}
    return codes, names


def _always_synthetic(notebook: Path) -> bool:
    """Templates that never show the run's survey declare ``metadata.vsr.always_synthetic: true``."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return bool(nb.get("metadata", {}).get("vsr", {}).get("always_synthetic"))


def _output_texts(notebook: Path) -> list[str]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    texts = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            if "text" in output:
                texts.append("".join(output["text"]))
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/"):
                    texts.append("".join(value) if isinstance(value, list) else str(value))
    return texts


@functools.lru_cache(maxsize=8)
def _any_identifier(codes: frozenset[str], names: frozenset[str]) -> re.Pattern:
    """One pattern for every code and name at once, compiled once: a text it does not match has no leak.

    Hundreds of patterns searched one by one overflowed ``re``'s cache of compiled patterns, so that each was
    compiled again for every text (about 6 CPU s of a confidential chapter with figures)."""
    code = rf"(?<![\w.])(?:{'|'.join(map(re.escape, sorted(codes)))})(?![\w.])" if codes else r"(?!x)x"
    name = rf"\b(?:{'|'.join(map(re.escape, sorted(names, key=len, reverse=True)))})\b" if names else r"(?!x)x"
    return re.compile(f"{code}|{name}")


def scan_texts(texts: list[str], where: str, codes: set[str], names: set[str]) -> list[str]:
    leaks = []
    anything = _any_identifier(frozenset(codes), frozenset(names))
    for text in texts:
        if not anything.search(text):
            continue  # the usual case; otherwise name the first code and the first name, in sorted order
        for code in sorted(codes):
            # not inside a longer number, a decimal or a hexadecimal checksum
            if re.search(rf"(?<![\w.]){code}(?![\w.])", text):
                leaks.append(f"{where}: municipality number {code} in an output")
                break
        for name in sorted(names):
            if re.search(rf"\b{re.escape(name)}\b", text):
                leaks.append(f"{where}: municipality name {name!r} in an output")
                break
    return leaks


def scan_results(results_dir: Path, synthetic_sets: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Result CSVs of a confidential run: no count column may hold 1 or 2.

    ``synthetic_sets``: parameter sets of always-synthetic templates, whose tables never hold the run's survey
    (their counts are simulated seeds or replica units, not respondents); their folders are not scanned.
    """
    leaks = []
    for path in sorted(results_dir.rglob("*.csv")):
        if path.relative_to(results_dir).parts[0] in synthetic_sets:
            continue
        table = pd.read_csv(path, dtype=str)
        for col in table.columns:
            if re.search(r"share|%|rate|ci_|mean|median|percent|proportion|weight", col, flags=re.I):
                continue  # a derived value, not a count
            if re.search(r"(^n$|^n_|\bcounts?\b|municipalities|respondents|authorities|naming)", col, flags=re.I):
                vals = pd.to_numeric(table[col], errors="coerce")
                if ((vals > 0) & (vals < MIN_CELL)).any():
                    leaks.append(f"{path.name}: column {col!r} has a count below {MIN_CELL}")
    return leaks


#: The only text chunk a published PNG may carry: the size of its smallest text (PNG figures of earlier runs;
#: ``chapter.save_figure`` now writes SVG, see ``scan_svg_figures``).
PNG_TEXT_KEYS = frozenset({"vsr-smallest-text-pt"})


def scan_png_metadata(folder: Path) -> list[str]:
    """PNG files under ``folder`` whose text chunks carry anything but ``PNG_TEXT_KEYS`` (a size): a chunk with
    the text of a data label publishes data that no page shows."""
    from PIL import Image

    leaks = []
    for path in sorted(Path(folder).rglob("*.png")) if Path(folder).is_dir() else []:
        try:
            with Image.open(path) as im:
                chunks = dict(getattr(im, "text", {}) or {})
        except OSError:
            continue
        extra = sorted(set(chunks) - PNG_TEXT_KEYS)
        bad_size = [k for k in PNG_TEXT_KEYS & set(chunks) if not re.fullmatch(r"\d+(\.\d+)?", chunks[k].strip())]
        if extra or bad_size:
            leaks.append(f"{path.name}: PNG text chunk(s) {', '.join(extra + bad_size)} in a figure's metadata")
    return leaks


#: SVG elements (and comments) whose words a figure does not draw: a published figure has none of them.
_SVG_UNDRAWN = re.compile(r"<(metadata|title|desc|foreignObject|script)\b|<!--", re.I)


def scan_svg_figures(folder: Path) -> list[str]:
    """SVG figures under ``folder`` that carry words they do not draw (metadata, a title or description, a
    comment, a script): the text a figure keeps as text is what it shows, and nothing else
    (``figure_style.write_svg`` writes none of these and hides text clipped out of view)."""
    leaks = []
    for path in sorted(Path(folder).rglob("*.svg")) if Path(folder).is_dir() else []:
        text = path.read_text(encoding="utf-8")
        found = sorted({(m[1] or "comment").lower() for m in _SVG_UNDRAWN.finditer(text)})
        if found:
            leaks.append(f"{path.name}: SVG figure carries undrawn text ({', '.join(found)})")
    return leaks


def scan_build(html_dir: Path, executed_dir: Path, results_dir: Path | None = None) -> list[str]:
    """Scan executed notebooks' outputs and the result tables of a confidential run for disclosure."""
    codes, names = unit_identifiers()
    leaks: list[str] = []
    synthetic_sets = set()
    for notebook in sorted(Path(executed_dir).glob("*.ipynb")):
        if _always_synthetic(notebook):
            synthetic_sets.add(notebook.stem)
            continue  # shows only the simulated replica or made-up data, whatever survey the run used
        leaks += scan_texts(_output_texts(notebook), notebook.name, codes, names)
    from vsr_analysis import paths

    leaks += scan_results(results_dir or paths.results_dir(), synthetic_sets)
    leaks += scan_png_metadata(results_dir or paths.results_dir())
    leaks += scan_png_metadata(Path(html_dir) / "_images")
    leaks += scan_svg_figures(results_dir or paths.results_dir())
    leaks += scan_svg_figures(Path(html_dir) / "_images")
    return leaks


# --------------------------------------------------------------------------------------------------------------
# Unit-level output in every path: register values that single out a respondent, figures, tables, text
# --------------------------------------------------------------------------------------------------------------


class DisclosureError(RuntimeError):
    """A chapter tried to publish unit-level output on a confidential run."""


#: Register columns whose values single out a municipality (almost every population is unique).  A published
#: number equal to a respondent's value, held by fewer than MIN_CELL municipalities, tells who that respondent
#: is — and so, next to a stage or a threshold, its answer.
IDENTIFYING_COLUMNS = ("population_2020", "population_2021")

#: Size bands for reporting a register value instead of the value itself (the register's ``size_band`` edges).
SIZE_BAND_EDGES = (0, 2_000, 5_000, 10_000, 20_000, 50_000)


#: Municipalities in the frame: a whole number up to this can be a count of municipalities (a group size, an n).
FRAME_SIZE = 356


def _is_exempt_number(value: float) -> bool:
    """Numbers that cannot be told apart from everyday ones: counts of municipalities (up to FRAME_SIZE), years
    (1900–2100) and multiples of 500.

    A population equal to one of them is indistinguishable from a group size, a year or a round grid value; such
    numbers are not derived from a unit's register value.  Known limit: the one or two municipalities with at
    most 356 inhabitants are therefore not protected by the number checks (the figure and table guards still
    refuse unit-level points and named rows).
    """
    return value <= FRAME_SIZE or 1900 <= value <= 2100 or value % 500 == 0


def identifying_values(frame: pd.DataFrame, columns=IDENTIFYING_COLUMNS, min_units: int = MIN_CELL) -> set[float]:
    """Register values of respondents that fewer than ``min_units`` municipalities share (whole frame counted).

    ``frame`` is the analysis frame (all municipalities, with a boolean ``responded`` column) or a register
    table (every row then counts as a respondent).
    """
    values: set[float] = set()
    responded = frame["responded"].astype(bool) if "responded" in frame else pd.Series(True, index=frame.index)
    for col in columns:
        if col not in frame:
            continue
        column = pd.to_numeric(frame[col], errors="coerce")
        counts = column.value_counts()
        rare = set(counts[counts < min_units].index)
        values |= {float(v) for v in column[responded] if pd.notna(v) and v in rare and not _is_exempt_number(v)}
    return values


def _matches(numbers, identifying: set[float]) -> list[float]:
    out = []
    for v in numbers:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if f == f and abs(f) != float("inf") and float(round(f)) == f and f in identifying:
            out.append(f)
    return out


def size_band(value: float, edges=SIZE_BAND_EDGES) -> str:
    """The size band (the register's ``size_band`` labels) that holds ``value``."""
    if value != value:
        return "–"
    bands = list(edges) + [float("inf")]
    for low, high in zip(bands, bands[1:]):
        if low <= value < high:
            if high == float("inf"):
                return f"≥{low:,.0f}"
            if low == 0:
                return f"<{high:,.0f}"
            return f"{low:,.0f}–{high - 1:,.0f}"
    return f"<{edges[1]:,.0f}"


def safe_register_value(value: float, register_values, min_units: int = MIN_CELL, edges=SIZE_BAND_EDGES) -> str:
    """Report a register value without singling out a municipality.

    The value itself when at least ``min_units`` municipalities share it; otherwise its size band, widened
    (merged with the next band up, or down at the top) until the band holds at least ``min_units``.
    """
    vals = pd.to_numeric(pd.Series(list(register_values)), errors="coerce").dropna()
    if (vals == value).sum() >= min_units:
        return f"{value:,.0f}"
    bounds = list(edges) + [float("inf")]
    i = max(k for k in range(len(bounds) - 1) if bounds[k] <= value) if value >= bounds[0] else 0
    lo, hi = i, i + 1
    while ((vals >= bounds[lo]) & (vals < bounds[hi])).sum() < min_units and (lo > 0 or hi < len(bounds) - 1):
        if hi < len(bounds) - 1:
            hi += 1
        else:
            lo -= 1
    low, high = bounds[lo], bounds[hi]
    if high == float("inf"):
        return f"≥{low:,.0f}"
    return f"<{high:,.0f}" if low == 0 else f"{low:,.0f}–{high - 1:,.0f}"


def point_coordinates(fig) -> list[tuple[str, list]]:
    """Every set of point coordinates a matplotlib figure draws: scatter offsets and lines with markers."""
    from matplotlib.collections import PathCollection
    from matplotlib.lines import Line2D

    def numbers(values) -> list[float]:
        # categorical axes hold strings: those are labels, not coordinates of a unit
        return [float(v) for v in pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").dropna()]

    found = []
    for ax in fig.get_axes():
        for coll in ax.collections:
            if isinstance(coll, PathCollection):
                offsets = np.asarray(coll.get_offsets())
                if offsets.ndim == 2 and len(offsets):
                    found.append(("scatter", [numbers(offsets[:, 0]), numbers(offsets[:, 1])]))
        for line in ax.get_lines():
            if isinstance(line, Line2D) and line.get_marker() not in (None, "None", "", " ", "none"):
                found.append(("line markers", [numbers(line.get_xdata()), numbers(line.get_ydata())]))
    return found


def unit_level_points(fig, identifying: set[float]) -> list[str]:
    """Describe the point artists of ``fig`` that place units at their own register values (or its logarithm).

    A point drawn at a respondent's exact population (beside its survey answer on the other axis) publishes
    that respondent's answer: on a confidential run such figures are refused (see ``chapter.Context.figure``).
    """
    import math

    logs = {round(math.log(v), 9) for v in identifying if v > 0} | {
        round(math.log10(v), 9) for v in identifying if v > 0
    }
    problems = []
    for kind, axes in point_coordinates(fig):
        for axis_name, values in zip(("x", "y"), axes):
            raw = _matches(values, identifying)
            logged = [v for v in values if v == v and round(v, 9) in logs]
            hits = len(raw) + len(logged)
            if hits:
                problems.append(
                    f"a {kind} artist places {hits} point(s) at respondents' own register values on the {axis_name} axis"
                )
    return problems


def unit_level_cells(table: pd.DataFrame, identifying: set[float], codes: set[str], names: set[str]) -> list[str]:
    """Describe the cells of ``table`` that identify a municipality: its number, its name, or a register value
    that fewer than ``MIN_CELL`` municipalities share (for example an exact population)."""
    problems = []
    for col in table.columns:
        values = table[col]
        numeric = pd.to_numeric(values, errors="coerce")
        hits = _matches(numeric.dropna(), identifying)
        if hits:
            problems.append(
                f"column {col!r} holds {len(hits)} value(s) equal to a single respondent's register value "
                f"(e.g. {hits[0]:,.0f}); report a size band instead (disclosure.safe_register_value)"
            )
        text = values.astype(str)
        if text.isin(codes).any() or text.isin(names).any():
            problems.append(f"column {col!r} names municipalities (numbers or names)")
    return problems


_NUMBER_IN_TEXT = re.compile(r"(?<![\w.,\u202f\u00a0])(\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+|\d{4,})(?![\w]|[.,]\d)")


def numbers_in_text(text: str) -> list[float]:
    """Whole numbers written in ``text`` (``1518``, ``1,518``, ``1 518``, ``1 518``), not parts of decimals,
    words or checksums."""
    out = []
    for match in _NUMBER_IN_TEXT.finditer(text):
        digits = re.sub(r"[,\u202f\u00a0 ]", "", match.group(1))
        out.append(float(digits))
    return out


def scan_numbers(texts: list[str], where: str, identifying: set[float]) -> list[str]:
    leaks = []
    for text in texts:
        hits = _matches(numbers_in_text(text), identifying)
        if hits:
            leaks.append(
                f"{where}: the number {hits[0]:,.0f} equals a single respondent's register value (e.g. its population)"
            )
            break
    return leaks


def published_identifying_values(survey: str | None = None) -> set[float]:
    """The identifying register values of the respondents of ``survey`` (a survey spec), by default of the
    published run (empty for synthetic runs)."""
    from vsr_analysis import paths

    if survey is None:
        try:
            info = json.loads((paths.results_dir() / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        if not info.get("confidential"):
            return set()
        survey = info["survey"]
    from vsr_analysis.loading import load_frame

    return identifying_values(load_frame(survey, weights=False).frame)


def scan_published(
    html_dir: Path, executed_dir: Path, results_dir: Path, generated_dir: Path, survey: str | None = None
) -> list[str]:
    """Everything ``scan_build`` checks, plus published numbers that single out a respondent, in the ledger
    (its reason strings), result CSVs, executed notebooks, generated pages and the HTML of those pages.

    ``survey``: the survey spec of the run the pages were built from (``vsr book`` passes the one it checked
    before Sphinx); by default the one ``run.json`` names now."""
    leaks = scan_build(html_dir, executed_dir, results_dir)
    identifying = published_identifying_values(survey)
    if not identifying:
        return leaks
    codes, names = unit_identifiers()
    for notebook in sorted(Path(executed_dir).glob("*.ipynb")):
        if not _always_synthetic(notebook):
            leaks += scan_numbers(_output_texts(notebook), notebook.name, identifying)
    for path in sorted(Path(results_dir).rglob("*")):
        if path.suffix in (".csv", ".json") and path.name not in (".manifest.json", ".runstate.json"):
            text = path.read_text(encoding="utf-8", errors="replace")
            leaks += scan_numbers([text], f"results/{path.relative_to(results_dir).as_posix()}", identifying)
    for path in sorted(Path(generated_dir).rglob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        leaks += scan_numbers([text], f"generated/{path.name}", identifying)
        leaks += scan_texts([text], f"generated/{path.name}", codes, names)
    always_synthetic = {nb.stem for nb in Path(executed_dir).glob("*.ipynb") if _always_synthetic(nb)}
    for sub in ("book/executed", "book/generated"):
        for page in sorted((Path(html_dir) / sub).glob("*.html")):
            if page.stem in always_synthetic:
                continue
            text = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8", errors="replace"))
            leaks += scan_numbers([text], f"html {sub}/{page.name}", identifying)
    return leaks
