"""Statistical disclosure control for confidential survey files, and the leak scan after a build.

Rules (Statistics Norway's rule of thumb, see the book's methods): no published table cell may count fewer than
``MIN_CELL`` = 3 municipalities, and suppression must be *secondary* too — once a cell is hidden, enough other
cells in its row are hidden that it cannot be recomputed from a total. No unit-level rows and no municipality
names or numbers may appear next to survey answers.

Synthetic scenarios are exempt (their answers are simulated); every page that shows them says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

MIN_CELL = 3
SUPPRESSED = "<3"


def suppress_small_cells(
    table: pd.DataFrame,
    count_columns: list[str],
    min_cell: int = MIN_CELL,
    dependent_columns: list[str] | str | None = "numeric",
) -> pd.DataFrame:
    """Hide counts in ``count_columns`` below ``min_cell``, with secondary suppression within each row.

    Primary suppression: any count 1 .. min_cell-1 becomes ``"<3"`` (a zero is not disclosive and stays).
    Secondary suppression: when a row has exactly one suppressed cell among several count columns, the
    next-smallest count in that row is suppressed too, so the hidden value cannot be derived from a row total.
    Columns are treated the same way: a column with exactly one suppressed cell gets its next-smallest cell
    suppressed.  Values *derived* from a hidden count (a share, its interval) would give it away again, so in
    every row with a suppressed count the ``dependent_columns`` are hidden too — by default every other numeric
    column.  Returns a new table with the count and dependent columns as text.
    """
    out = table.copy()
    missing = [c for c in count_columns if c not in out.columns]
    if missing:
        raise KeyError(f"count columns not in table: {missing}")
    values = out[count_columns].apply(pd.to_numeric, errors="coerce")
    hide = (values > 0) & (values < min_cell)

    def secondary(mask: pd.DataFrame, axis: int) -> pd.DataFrame:
        mask = mask.copy()
        lines = mask.index if axis == 1 else mask.columns
        for line in lines:
            sel = mask.loc[line] if axis == 1 else mask[line]
            vals = values.loc[line] if axis == 1 else values[line]
            if sel.sum() == 1 and len(sel) > 1:
                candidates = vals[~sel & vals.notna() & (vals > 0)]
                if len(candidates):
                    other = candidates.idxmin()
                    if axis == 1:
                        mask.loc[line, other] = True
                    else:
                        mask.loc[other, line] = True
        return mask

    for _ in range(3):  # alternate rows and columns until stable (small tables: a few passes suffice)
        before = hide.to_numpy().sum()
        hide = secondary(hide, axis=1) if len(count_columns) > 1 else hide
        hide = secondary(hide, axis=0) if len(out) > 1 else hide
        if hide.to_numpy().sum() == before:
            break
    row_hidden = hide.any(axis=1)
    if dependent_columns == "numeric":
        dependent = [c for c in out.columns if c not in count_columns and pd.api.types.is_numeric_dtype(out[c])]
    else:
        dependent = [c for c in (dependent_columns or []) if c not in count_columns]
    for col in dependent:
        if row_hidden.any():
            out[col] = [SUPPRESSED if h else v for v, h in zip(out[col].astype(object), row_hidden)]
    for col in count_columns:
        out[col] = [
            SUPPRESSED if h else ("" if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v))
            for v, h in zip(values[col], hide[col])
        ]
    return out


def _identifiers() -> tuple[set[str], set[str]]:
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


def scan_texts(texts: list[str], where: str, codes: set[str], names: set[str]) -> list[str]:
    leaks = []
    for text in texts:
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


def scan_results(results_dir: Path) -> list[str]:
    """Result CSVs of a confidential run: no count column may hold 1 or 2."""
    leaks = []
    for path in sorted(results_dir.rglob("*.csv")):
        table = pd.read_csv(path, dtype=str)
        for col in table.columns:
            if re.search(r"share|%|rate|ci_|mean|median|percent|proportion|weight", col, flags=re.I):
                continue  # a derived value, not a count
            if re.search(r"(^n$|^n_|\bcounts?\b|municipalities|respondents|authorities|naming)", col, flags=re.I):
                vals = pd.to_numeric(table[col], errors="coerce")
                if ((vals > 0) & (vals < MIN_CELL)).any():
                    leaks.append(f"{path.name}: column {col!r} has a count below {MIN_CELL}")
    return leaks


def scan_build(html_dir: Path, executed_dir: Path, results_dir: Path | None = None) -> list[str]:
    """Scan executed notebooks' outputs and the result tables of a confidential run for disclosure."""
    codes, names = _identifiers()
    leaks: list[str] = []
    for notebook in sorted(Path(executed_dir).glob("*.ipynb")):
        if _always_synthetic(notebook):
            continue  # shows only the simulated replica or made-up data, whatever survey the run used
        leaks += scan_texts(_output_texts(notebook), notebook.name, codes, names)
    from vsr_analysis import paths

    leaks += scan_results(results_dir or paths.results_dir())
    return leaks
