"""Helpers that keep the claim notebooks thin: start, show tables and figures, record evidence.

A notebook's second cell is always::

    from vsr_analysis.chapter import start
    ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters=locals())

which loads the analysis frame, shows the provenance stamp and — on synthetic data — the simulated-data
banner, and returns a ``Context`` whose methods write result tables (CSV, disclosure-checked for real survey
files) and the claim's evidence for the ledger.

Two modes. Under ``vsr run`` papermill injects ``results_dir`` (a staging folder) and every output is MyST
markdown for the book. Run by hand (JupyterLab, nbclient; ``results_dir`` is None) a template is in
*interactive* mode: its files go to the git-ignored ``scratch/<param_set>/`` (never ``results/``), its first
output says so, figures are shown as images and MyST markup is turned into plain Markdown that JupyterLab
renders (``interactive_markdown``).
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from vsr_analysis import paths
from vsr_analysis.claims.evidence import record_evidence, write_table
from vsr_analysis.data.analysis_frame import AnalysisFrame
from vsr_analysis.data.survey_spec import parse_spec
from vsr_analysis.data.yaml_text import parse_yaml
from vsr_analysis.inputs.provenance import stamp
from vsr_analysis.loading import load_frame


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


def markdown(text: str) -> None:
    """Show MyST markdown (rendered by the book: admonitions and roles work; the book has no math renderer, it is offline).

    In an interactive run the MyST markup is first turned into plain Markdown (``interactive_markdown``)."""
    from IPython.display import Markdown

    if _session["scratch"] is not None:
        text = interactive_markdown(text, _link_root())
    _display(Markdown(text))


# Interactive runs ------------------------------------------------------------------------------------------
#: The scratch root of the current interactive run, or None when papermill runs the template for the book.
_session: dict[str, Path | None] = {"scratch": None}

_FENCE = re.compile(r"^:::\{(?P<name>[a-z][a-z-]*)\}[ \t]*(?P<arg>.*)$")
_OPTION = re.compile(r"^:(?P<key>[a-z-]+):[ \t]*(?P<value>.*)$")
_ROLE = re.compile(r"\{(?P<role>[a-z][a-z:-]*)\}`(?P<body>[^`]*)`")
_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
#: How the book links to a published result file from book/executed/<page>.
PUBLISHED_PREFIX = "../../results/"


def _link_root() -> str:
    """The scratch root as a link relative to the kernel's working folder (JupyterLab: the notebook's folder)."""
    root = _session["scratch"]
    try:
        return Path(os.path.relpath(root, Path.cwd())).as_posix()
    except ValueError:  # another drive on Windows
        return root.as_posix()


def _local(target: str, link_root: str) -> str:
    if target.startswith(PUBLISHED_PREFIX):
        return f"{link_root}/{target[len(PUBLISHED_PREFIX) :]}"
    return target


def _role(match: re.Match, link_root: str) -> str:
    role, body = match["role"], match["body"]
    parts = _TARGET.match(body)
    text, target = (parts["text"], parts["target"]) if parts else (body, body)
    if role == "download":
        return f"[{text or target}]({_local(target, link_root)})"
    if role == "numref":  # a numbered figure or table of the book: in JupyterLab it is the one on the page
        return "the " + ("table" if target.startswith("tbl-") else "figure")
    if role == "cite":
        return "[" + "; ".join(k.strip() for k in body.split(",")) + "]"
    return text or target  # {doc}, {ref}, {term}, ...: the words, without the book's cross-reference


def interactive_markdown(text: str, link_root: str = "scratch") -> str:
    """Turn the MyST the templates print for the book into Markdown that JupyterLab renders.

    Admonitions (``:::{note}``, ``:::{admonition} Title``) become block quotes with a bold title, a
    ``:::{figure}`` becomes an image with its caption, ``{download}`` roles become links (a link to the
    published ``../../results/...`` is pointed at ``link_root``, the scratch folder), ``{cite}`` shows its
    keys in brackets and other roles (``{doc}``, ``{ref}``, ...) keep their words.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            out.append(_ROLE.sub(lambda m: _role(m, link_root), lines[i]))
            i += 1
            continue
        name, arg = fence["name"], fence["arg"].strip()
        options: dict[str, str] = {}
        body: list[str] = []
        i += 1
        while i < len(lines) and _OPTION.match(lines[i]):
            option = _OPTION.match(lines[i])
            options[option["key"]] = option["value"]
            i += 1
        while i < len(lines) and lines[i].strip() != ":::":
            body.append(_ROLE.sub(lambda m: _role(m, link_root), lines[i]))
            i += 1
        i += 1  # the closing fence
        while body and not body[0].strip():
            body.pop(0)
        if name == "figure":
            out.append(f"![{options.get('alt', '')}]({_local(arg, link_root)})")
            out.extend(["", *(f"*{ln}*" if ln.strip() else ln for ln in body)])
            continue
        title = _ROLE.sub(lambda m: _role(m, link_root), arg) if name == "admonition" else name.capitalize()
        out.append(f"> **{title}**")
        out.append(">")
        out.extend(f"> {ln}".rstrip() for ln in body)
    return "\n".join(out)


def output_folder(param_set: str, results_dir: str | None) -> Path:
    """The folder a template writes its result files into, and the mode of the run.

    ``vsr run`` passes ``results_dir``; without it (a template run by hand) the folder is
    ``scratch/<param_set>/`` and a notice saying so is shown, so that an interactive run never touches the
    published ``results/``. Call it before anything else is shown: the notice must be the first output.
    """
    if results_dir:
        _session["scratch"] = None
        folder = Path(results_dir)
    else:
        _session["scratch"] = paths.scratch_dir()
        folder = paths.scratch_dir() / param_set
        shown = (
            folder.relative_to(paths.project_root()).as_posix()
            if folder.is_relative_to(paths.project_root())
            else folder
        )
        _display(
            _markdown_object(
                f"> **Interactive run.** This notebook was not started by `vsr run`: its tables, figures and "
                f"evidence go to `{shown}/` (git-ignored scratch), never to the published `results/`, and "
                "the book and the claims ledger do not change. Publish with `vsr run`."
            )
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _markdown_object(text: str):
    from IPython.display import Markdown

    return Markdown(text)


def figure_label(param_set: str, name: str) -> str:
    """The book-wide label of a figure (``{numref}`` target): unique because its file is."""
    return "fig-" + re.sub(r"[^a-z0-9]+", "-", f"{param_set}-{name}".lower()).strip("-")


def table_label(param_set: str, name: str) -> str:
    """The book-wide label of a numbered table (``{numref}`` target)."""
    return "tbl-" + figure_label(param_set, name)[len("fig-") :]


_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def myst_table(shown: pd.DataFrame, caption: str, label: str, numeric=()) -> str:
    """``shown`` (cells already formatted for reading) as a numbered MyST ``{table}``: a pipe table whose cells
    are escaped (every ASCII punctuation mark, so that no cell turns into markup); the columns at the positions
    ``numeric`` are right-aligned."""

    def cell(value) -> str:
        text = "–" if value is None or (isinstance(value, float) and value != value) else str(value)
        return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(text.split()))

    numeric = set(numeric)
    head = "| " + " | ".join(cell(c) for c in shown.columns) + " |"
    rule = "|" + "|".join("---:" if i in numeric else ":---" for i in range(len(shown.columns))) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join(
        [f":::{{table}} {caption}", f":name: {label}", ":class: result-table", "", head, rule, *rows, ":::"]
    )


def save_figure(fig, folder: Path, name: str, alt: str, caption: str, link: str) -> Path:
    """Save ``fig`` as ``folder/<name>.svg`` and show it.

    For the book the figure is a numbered MyST ``{figure}`` directive pointing at ``link`` (the file's published
    place, ``../../results/<param_set>/<name>.svg``), named :func:`figure_label` so that the text can refer to
    it with ``{numref}``; in an interactive run the SVG itself is displayed (with ``alt`` as its text form) and
    the caption below it.

    The figure is first narrowed to at most ``figure_style.WIDTH`` inches as saved (:func:`fit_width`) and
    written by :func:`vsr_analysis.stats.figure_style.write_svg`: text stays text, and the file's size is the
    smallest at which its smallest text is ``figure_style.MIN_TEXT_PX`` CSS px, the least width the book shows
    it at (book/_static/vsr-figures.js; tests/test_browser_reader.py measures every text in the browser).
    """
    from vsr_analysis.stats.figure_style import fit_width, write_svg

    fit_width(fig)
    path = Path(folder) / f"{name}.svg"
    tmp = path.with_name(f".{path.name}.tmp")
    write_svg(fig, tmp)
    tmp.replace(path)
    import matplotlib.pyplot as plt

    plt.close(fig)
    link = Path(link).with_suffix(".svg").as_posix()
    if _session["scratch"] is None:
        parts = Path(link).parts
        label = figure_label(parts[-2] if len(parts) > 1 else "", Path(link).stem)
        markdown(f":::{{figure}} {link}\n:alt: {alt}\n:width: 100%\n:name: {label}\n\n{caption}\n:::")
    else:
        from IPython.display import display

        display({"image/svg+xml": path.read_text(encoding="utf-8"), "text/plain": f"[figure {name}: {alt}]"}, raw=True)
        markdown(f"*{caption}*")
    return path


SIMULATED_BANNER = (
    ":::{{admonition}} Simulated data\n:class: warning simulated-data\n"
    "The results on this page were computed on the **synthetic replica** (`{spec}`): survey answers "
    "SIMULATED by this project for the real 356 municipalities under a stated scenario. They show how the "
    "analysis works and what it would conclude under the scenario's assumptions. They say **nothing** about "
    "the real municipalities' answers to the 2021 survey. See {{doc}}`synthetic-replica`.\n:::"
)


#: The first column of every result table written on the synthetic replica.
SIMULATED_CSV_LABEL = "SIMULATED (synthetic replica {spec})"


class CannotEstimate(Exception):
    """The chapter's analysis cannot be estimated on this survey file (raised by
    :meth:`Context.stop_unless_estimable` after the claim is recorded as inconclusive).  ``vsr run`` publishes the
    page up to that point as a finished chapter, not as a failure."""


class Context:
    def __init__(self, data: AnalysisFrame, param_set: str, results_dir: Path, parameters: dict):
        self.data = data
        self.param_set = param_set
        self.results_dir = Path(results_dir)
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.parameters = parameters

    # data ------------------------------------------------------------------------------------------------
    @property
    def frame(self) -> pd.DataFrame:
        return self.data.frame

    @property
    def respondents(self) -> pd.DataFrame:
        return self.data.respondents

    @property
    def synthetic(self) -> bool:
        return self.data.synthetic

    # the claim this chapter tests ----------------------------------------------------------------------
    @property
    def claim(self) -> dict:
        """The claims.yml entry of the chapter's ``claim`` parameter (KeyError when the chapter has none)."""
        from vsr_analysis.claims.ledger import load_claims_spec

        claim_id = self.parameters.get("claim")
        if claim_id is None:
            raise KeyError(f"parameter set {self.param_set!r} has no 'claim' parameter")
        return next(c for c in load_claims_spec()["claims"] if c["id"] == claim_id)

    @property
    def alpha(self) -> float:
        """The pre-specified significance level of claims.yml (before Holm's adjustment)."""
        from vsr_analysis.claims.ledger import load_claims_spec

        return float(load_claims_spec().get("alpha", 0.05))

    def decide(self, primary: dict, rule_inputs: dict | None = None):
        """The claim's decision rule applied to one variant's result (a sensitivity row), at unadjusted alpha.

        ``primary`` needs ``p_value`` (and what the rule reads, e.g. ``estimate``); returns the
        :class:`vsr_analysis.claims.ledger.Decision` (``.verdict``, ``.reason``).
        """
        from vsr_analysis.claims.ledger import decide

        evidence = {"primary": primary, "rule_inputs": dict(rule_inputs or {})}
        return decide(self.claim, evidence, self.alpha, primary.get("p_value"))

    def book_link(self, filename: str) -> str:
        """Link from book/executed/<page> to the file's *published* place (results/<param_set>/...).

        The runner executes into a staging folder and moves results into place afterwards, so links are
        built from the final location, not from where the kernel wrote the file.
        """
        return f"../../results/{self.param_set}/{filename}"

    # output ----------------------------------------------------------------------------------------------
    def table(
        self,
        name: str,
        table: pd.DataFrame,
        caption: str,
        *,
        count_columns: list[str] | None = None,
        show: bool = True,
        float_digits: int = 3,
        numbered: bool = False,
        cells: list[dict] | None = None,
        label_columns: list[str] | None = None,
    ) -> None:
        """Write ``table`` as CSV (for download) and show it as an HTML table with a download link.

        Returns nothing, so that a call ending a cell does not print the table a second time.

        ``numbered=True`` (a chapter's main tables) shows it as a numbered MyST ``{table}`` named
        :func:`table_label`, which the text refers to with ``ctx.ref(name, "table")``.

        For a confidential survey file, cells in ``count_columns`` below the disclosure threshold are
        suppressed (with secondary suppression) before anything is written or shown, and every other number is
        published at a coarse precision (``stats.sdc.coarsen``: shares in whole percent points, other statistics
        at three significant digits).

        ``cells`` (one dict per count cell: ``row`` (index label), ``column``, ``item``, ``levels``, ``members``
        (unit ids); optionally ``dependents``, the columns of the row derived from this cell alone, and
        ``kind="share"`` with ``weights`` (unit id -> weight) for a share cell, ``scale`` (100 for a percentage),
        ``rounded_with`` (interval columns published at the share's precision), ``value`` (the share a column
        stands for when it shows a function of it)) says what each count counts: on a confidential run the table then goes through the disclosure
        engine (``stats.sdc``) together with every table this chapter released before it, suppressed cells are
        shown as ``".."``, derived values of their rows too (never ``label_columns``), and the cells are recorded
        for the build's reconstruction audit. What was released is ``ctx.released(name)``: draw figures from it.
        """
        if self.data.confidential and cells is not None:
            table = self._through_engine(name, table, cells, list(count_columns or []), label_columns)
        elif self.data.confidential and count_columns:
            from vsr_analysis.build.disclosure import suppress_small_cells

            table = suppress_small_cells(table, count_columns, label_columns=label_columns)
        if self.data.confidential:
            from vsr_analysis.stats.sdc import coarsen

            table = coarsen(table, keep=[*(count_columns or []), *(label_columns or [])])
        if not hasattr(self, "_released"):
            self._released = {}
        self._released[name] = table.copy()
        self._refuse_unit_level_table(name, table)
        # A downloaded CSV leaves the page's banner behind: on the replica every row says it is simulated.
        written = table if not self.synthetic else table.assign(data=SIMULATED_CSV_LABEL.format(spec=self.data.spec))
        if self.synthetic:
            written = written[["data", *table.columns]]
        path = write_table(self.results_dir, name, written)
        if show:
            from vsr_analysis.claims.table_display import display_frame

            # the page shows headers in words and formatted numbers; the CSV keeps names and full precision
            shown = display_frame(table, float_digits)
            rel = self.book_link(path.name)
            if numbered and _session["scratch"] is None:
                label = table_label(self.param_set, name)
                markdown(
                    myst_table(
                        shown,
                        caption,
                        label,
                        numeric=[
                            i for i, c in enumerate(table.columns) if pd.api.types.is_numeric_dtype(table.iloc[:, i])
                        ],
                    )
                )
            else:
                body = shown.to_html(index=False, classes="result-table", border=0, na_rep="–")
                _display_html(f'<p class="table-caption"><strong>{html.escape(caption)}</strong></p>{body}')
            if rel:
                markdown(f"{{download}}`Download this table (CSV) <{rel}>`")

    def released(self, name: str) -> pd.DataFrame:
        """The table ``name`` as this chapter published it (suppressed on a confidential run): figures and
        sentences about it are built from this copy, never from the computed table."""
        return self._released[name].copy()

    # the disclosure engine (confidential runs) ----------------------------------------------------------------
    def _sdc_release(self):
        """This chapter's release: every count cell it published so far, with the respondents' answers."""
        if getattr(self, "_sdc", None) is None:
            from vsr_analysis.data.codebook import load_codebook
            from vsr_analysis.stats import sdc

            codebook = load_codebook()
            muni = self.respondents.set_index("knr") if "knr" in self.respondents else self.respondents
            counties = self.data.counties.set_index("knr") if "knr" in self.data.counties else self.data.counties
            items = [i.name for i in codebook if i.codes and i.name in muni.columns]
            answers = pd.concat([muni[items], counties.reindex(columns=items)]).astype(object)
            answers = answers.where(answers.notna(), None)
            answers.index = answers.index.astype(str)
            levels = {i: sorted(codebook.item(i).valid_codes) for i in items}
            self._sdc = sdc.Release(answers, levels)
        return self._sdc

    def _through_engine(self, name, table, cells, count_columns, label_columns) -> pd.DataFrame:
        import os

        from vsr_analysis.build.disclosure import DisclosureError, suppress_small_cells
        from vsr_analysis.stats import sdc

        release = self._sdc_release()
        recorded = []
        for spec in [c for c in cells if c.get("context")]:  # margins published by other chapters
            release.assume_known(name, f"context · {spec['column']}", spec["item"], spec["levels"],
                                 [str(m) for m in spec["members"]])  # fmt: skip
        cells = [c for c in cells if not c.get("context")]
        for spec in cells:
            label = f"{spec['row']} · {spec['column']}"  # no "|": the audit report is a Markdown table
            members = [str(m) for m in spec["members"]]
            if spec.get("kind") == "share":
                # "value": the share a column stands for when it shows a function of it (an SD of a 0/1 item)
                value = spec.get("value", float(table.at[spec["row"], spec["column"]]) / float(spec.get("scale", 1)))
                weights = spec.get("weights")
                if weights is not None:
                    # a weighted share is published at the engine's coarse precision (sdc.WEIGHTED_SHARE_DIGITS):
                    # to the CSV's 6 digits it tells an attacker who knows the weights how many units of each
                    # weighting class gave the answer, a finer table than the one published
                    digits = sdc.WEIGHTED_SHARE_DIGITS
                    weights = pd.Series(weights).rename(index=str)
                else:
                    # the precision the CSV publishes (FLOAT_FORMAT, 6 significant digits): the audit's rounding
                    digits = 6 if not value or value != value else 5 - int(np.floor(np.log10(abs(value))))
                cell = release.share(name, label, spec["item"], spec["levels"], members, digits, weights)
            else:
                cell = release.count(name, label, spec["item"], spec["levels"], members)
            recorded.append((spec, cell))
        cell_columns = list(dict.fromkeys([*count_columns, *(spec["column"] for spec in cells)]))
        if os.environ.get("VSR_SDC_ENGINE") == "off":
            # tests only: the per-table rule of builds before the engine, recorded for the audit to attack
            out = suppress_small_cells(table, count_columns or cell_columns, label_columns=label_columns)
            for spec, cell in recorded:
                shown = str(out.at[spec["row"], spec["column"]])
                cell.shown = sdc.OPAQUE if shown == sdc.SMALL else str(cell.value)
        else:
            from vsr_analysis.build.release_audit import forced_hidden

            forced = forced_hidden(self.results_dir, self.param_set)  # hidden by the run's protection across chapters
            for _, cell in recorded:
                if (name, cell.label) in forced:
                    cell.shown, cell.reason, cell.frozen = sdc.HIDDEN, forced[(name, cell.label)], True
            result = release.protect()
            if not result.passed:
                # no cell-by-cell suppression closes it (what pins the answer is the table's own structure beside
                # the chapter's earlier tables): the pre-specified fallback hides every number of this table
                for _, cell in recorded:
                    if not cell.frozen:
                        cell.shown, cell.reason = sdc.HIDDEN, "the whole table: no smaller suppression protects it"
                result = sdc.audit(release, items={cell.item for _, cell in recorded})
            if not result.passed:
                raise DisclosureError(
                    f"table {name!r}: the disclosure engine cannot release it without letting an answer or a "
                    "suppressed count be recomputed from this chapter's earlier tables"
                )
            out = table.copy()
            for col in cell_columns:
                out[col] = out[col].astype(object)
            hidden_rows, hidden_dependents = set(), []
            for spec, cell in recorded:
                scale = float(spec.get("scale", 1))
                shown_value = cell.value * scale if scale != 1 else cell.value
                if "value" in spec:
                    shown_value = table.at[spec["row"], spec["column"]]
                out.at[spec["row"], spec["column"]] = shown_value if cell.released else sdc.HIDDEN
                if cell.released and spec.get("rounded_with"):
                    # the interval of a coarse share goes out at its precision: to 6 digits it gives the share back
                    places = max(cell.digits - int(round(np.log10(scale))), 0)
                    for col in spec["rounded_with"]:
                        out[col] = out[col].astype(object)
                        out.at[spec["row"], col] = round(float(table.at[spec["row"], col]), places)
                if not cell.released:
                    for col in spec.get("hide_columns", []):  # a column that gives a hidden cell back (cumulative)
                        hidden_dependents += [(r, col) for r in out.index]
                    if "dependents" in spec:  # the values derived from this cell alone (not the whole row)
                        hidden_dependents += [(spec["row"], col) for col in spec["dependents"]]
                    else:
                        hidden_rows.add(spec["row"])
            if label_columns is None:
                first = min(list(out.columns).index(c) for c in cell_columns) if cell_columns else 0
                label_columns = list(out.columns[:first])
            dependent = [
                c
                for c in out.columns
                if c not in cell_columns and c not in label_columns and pd.api.types.is_numeric_dtype(table[c])
            ]
            for col in dependent:
                out[col] = [sdc.HIDDEN if r in hidden_rows else v for r, v in zip(out.index, out[col].astype(object))]
            for row, col in hidden_dependents:
                out[col] = out[col].astype(object)
                out.at[row, col] = sdc.HIDDEN
            # a count column's cells that no spec covers keep the per-table rule's primary suppression
            covered = {(spec["row"], spec["column"]) for spec in cells}
            for col in count_columns:
                for row in out.index:
                    value = pd.to_numeric(pd.Series([table.at[row, col]]), errors="coerce").iloc[0]
                    if (row, col) not in covered and 0 < value < sdc.MIN_CELL:
                        out[col] = out[col].astype(object)
                        out.at[row, col] = sdc.HIDDEN
                        for dep in dependent:
                            out[dep] = out[dep].astype(object)
                            out.at[row, dep] = sdc.HIDDEN
        release.freeze()
        self._record_release()
        return out

    def _record_release(self) -> None:
        """Write this chapter's released cells for the build's reconstruction audit, outside the published
        folders (``<stage>/private/<param set>.json``; never in an interactive run)."""
        if _session["scratch"] is not None or self.results_dir.parent.name != "results":
            return  # only inside a run's stage (<stage>/results/<set>): never beside a hand-picked results folder
        folder = self.results_dir.parent.parent / "private"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.param_set}.json").write_text(json.dumps(self._sdc.records()), encoding="utf-8")

    def ref(self, name: str, kind: str = "figure") -> str:
        """A reference for the text to this chapter's numbered figure (or ``kind="table"``) ``name``: "Figure 2"."""
        label = figure_label(self.param_set, name) if kind == "figure" else table_label(self.param_set, name)
        return f"{{numref}}`{kind.capitalize()} %s <{label}>`"

    def figure(self, fig, name: str, alt: str, caption: str) -> None:
        """Save a figure as SVG in the results folder and show it with alt text and a caption.

        Returns nothing (a returned path would be printed when the call ends a cell, and it names the
        staging folder the kernel writes into)."""
        self._refuse_unit_level_figure(fig, name)
        save_figure(fig, self.results_dir, name, alt, caption, self.book_link(f"{name}.svg"))

    # disclosure guards (confidential runs) ----------------------------------------------------------------
    def _identifying(self) -> set[float]:
        """Register values that single out one responding municipality (computed once per context)."""
        if not hasattr(self, "_identifying_values"):
            from vsr_analysis.build.disclosure import identifying_values

            self._identifying_values = identifying_values(self.frame) if self.data.confidential else set()
        return self._identifying_values

    def _refuse_unit_level_figure(self, fig, name: str) -> None:
        """On a confidential run, refuse a figure that draws units at their own register values.

        Such a point sits at a respondent's exact population (say) with its answer on the other axis: the figure
        would publish that answer.  Draw binned counts instead (``binned_counts_figure``)."""
        if not self.data.confidential or getattr(fig, "_vsr_binned", False):
            return
        from vsr_analysis.build.disclosure import DisclosureError, unit_level_points

        problems = unit_level_points(fig, self._identifying())
        from matplotlib.text import Text

        from vsr_analysis.build.disclosure import scan_texts, unit_identifiers

        if not hasattr(self, "_unit_identifiers"):
            self._unit_identifiers = unit_identifiers()
        labels = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
        problems += [leak.split(": ", 1)[1] for leak in scan_texts(labels, name, *self._unit_identifiers)]
        if problems:
            import matplotlib.pyplot as plt

            plt.close(fig)
            raise DisclosureError(
                f"figure {name!r} is unit-level and the survey file is confidential: {'; '.join(problems)}. "
                "Draw binned counts with the suppression rule (Context.binned_counts_figure) or ceiling lines "
                "from banded values instead."
            )

    def _refuse_unit_level_table(self, name: str, table: pd.DataFrame) -> None:
        """On a confidential run, refuse a table that names municipalities or prints a value of one unit."""
        if not self.data.confidential:
            return
        from vsr_analysis.build.disclosure import DisclosureError, unit_identifiers, unit_level_cells

        if not hasattr(self, "_unit_identifiers"):
            self._unit_identifiers = unit_identifiers()
        codes, names = self._unit_identifiers
        problems = unit_level_cells(table, self._identifying(), codes, names)
        if problems:
            raise DisclosureError(
                f"table {name!r} is unit-level and the survey file is confidential: {'; '.join(problems)}."
            )

    def register_value(self, value: float, column: str = "population_2021") -> str:
        """A register value as it may be published: itself if at least three municipalities share it, else
        its size band (widened until it holds three) — on confidential runs; the plain value on synthetic ones."""
        if not self.data.confidential:
            return f"{value:,.0f}"
        from vsr_analysis.build.disclosure import safe_register_value

        return safe_register_value(value, self.frame[column])

    def binned_counts_figure(
        self,
        name: str,
        x,
        y,
        *,
        x_edges,
        x_label: str,
        y_label: str,
        alt: str,
        caption: str,
        y_levels=None,
        x_format=None,
    ) -> pd.DataFrame:
        """Show units as counts per (x band, y level) cell, never as points; small counts are suppressed.

        ``x`` is binned at ``x_edges`` (left-closed bands), ``y`` taken at its levels.  The counts table goes
        through the same suppression rule as every table (``suppress_small_cells`` on confidential runs:
        1–2 shown as "<3", with secondary suppression), is written as ``<name>.csv`` and drawn as a heat map with
        each cell's (suppressed) count.  Returns the published table."""
        import matplotlib.pyplot as plt
        import numpy as np

        x = pd.Series(np.asarray(x, dtype=float))
        y = pd.Series(np.asarray(y))
        edges = list(x_edges)
        fmt = x_format or (lambda v: f"{v:,.0f}")
        labels = [f"{fmt(lo)}–{fmt(hi)}" if np.isfinite(hi) else f"≥{fmt(lo)}" for lo, hi in zip(edges, edges[1:])]
        bands = pd.cut(x, edges, right=False, labels=labels)
        levels = list(y_levels) if y_levels is not None else sorted(y.dropna().unique())
        counts = pd.crosstab(pd.Categorical(y, categories=levels), bands, dropna=False).reindex(
            index=levels, columns=labels, fill_value=0
        )
        table = counts.reset_index(names=y_label)
        table.columns = [str(c) for c in table.columns]
        band_columns = [str(c) for c in labels]
        if self.data.confidential:
            from vsr_analysis.build.disclosure import suppress_small_cells

            table = suppress_small_cells(table, band_columns, dependent_columns=[])
        self.table(name, table, caption, show=False)
        shown = table[band_columns].astype(str)
        numeric = shown.apply(pd.to_numeric, errors="coerce")
        from vsr_analysis.stats.figure_style import WIDTH, wrap

        fig, ax = plt.subplots(figsize=(WIDTH, 2.0 + 0.5 * len(levels)))
        ax.imshow(numeric.to_numpy(dtype=float), aspect="auto", cmap="Blues", origin="lower")
        for i in range(len(levels)):
            for j in range(len(labels)):
                ax.text(j, i, shown.iat[i, j], ha="center", va="center")
        ax.set_xticks(range(len(labels)), labels, rotation=90)
        ax.set_yticks(range(len(levels)), [str(v) for v in levels])
        ax.set_xlabel(wrap(x_label, 40))
        ax.set_ylabel(y_label)
        ax.grid(False)
        fig._vsr_binned = True  # counts per cell, suppressed: not unit-level
        self.figure(fig, name, alt, caption)
        return table

    def stop_unless_estimable(self, n: int, what: str, kind: str = "model", parts: tuple = ()) -> None:
        """End the chapter here, in words, when too few municipalities can enter its analysis.

        The least is ``claims.evidence.MIN_MODEL_UNITS`` for a model (``kind="model"``) and ``MIN_COUNT_UNITS``
        for a share or a count (``kind="count"``); ``vsr simulate`` applies the same limits.

        A valid survey file may leave too few answers for a model (nobody answered the maturity question, a
        handful of respondents): the chapter then records its claim as inconclusive with the reason (and each
        of ``parts``, the components a conjunction's evidence holds), shows a note, and raises
        :class:`CannotEstimate`, which ``vsr run`` treats as the end of the page, not as an error.
        """
        from vsr_analysis.claims.evidence import MIN_COUNT_UNITS, MIN_MODEL_UNITS

        minimum = {"model": MIN_MODEL_UNITS, "count": MIN_COUNT_UNITS}[kind]
        if n >= minimum:
            return
        reason = f"only {n} responding municipalities have {what}; the analysis needs at least {minimum}"
        self._stop(reason, n, parts)

    def stop_unless_varies(self, used: pd.DataFrame, columns, what: str, parts: tuple = ()) -> None:
        """End the chapter in words when a model's term or covariate does not vary enough among the rows used.

        A column with few distinct values (an item, an indicator) needs at least two levels held by at least
        ``MIN_CELL`` municipalities each; any other column needs some variation. The reason names ``what``
        (e.g. "the term or a covariate") and the rule, never the column's levels or counts: "every respondent is a
        network member" would publish each respondent's answer.
        """
        from vsr_analysis.stats.small_cells import MIN_CELL

        for col in columns:
            values = used[col].dropna()
            counts = values.value_counts()
            discrete = len(counts) <= 10
            if (discrete and int((counts >= MIN_CELL).sum()) < 2) or (
                not discrete and float(pd.to_numeric(values, errors="coerce").std()) == 0
            ):
                reason = (
                    f"{what} does not vary enough among the {len(used)} municipalities used (the model needs at "
                    f"least two levels held by {MIN_CELL} or more municipalities each)"
                )
                self._stop(reason, len(used), parts)

    def _stop(self, reason: str, n: int, parts: tuple = ()) -> None:
        markdown(
            ":::{admonition} Cannot be estimated on this survey file\n:class: warning\n"
            f"{reason[0].upper() + reason[1:]}. The claim is recorded as *inconclusive*, and the rest of this "
            "chapter is left out.\n:::"
        )
        claim = self.parameters.get("claim")
        if claim:
            empty = {"estimate": None, "ci_low": None, "ci_high": None, "p_value": None}
            self.evidence(
                claim=claim,
                primary={"method": f"not estimable: {reason}", **empty},
                n=n,
                rule_inputs={},
                parts={part: {"primary": dict(empty), "rule_inputs": {}, "n": n} for part in parts},
                not_estimable=reason,
            )
        raise CannotEstimate(reason)

    def evidence(
        self,
        *,
        claim: str,
        primary: dict,
        n: int,
        rule_inputs: dict | None = None,
        sensitivity: list | None = None,
        **extra,
    ) -> dict:
        """Record the claim's evidence for the ledger and show the decision before multiplicity adjustment."""
        record_evidence(
            self.results_dir,
            claim=claim,
            survey=self.data.spec,
            primary=primary,
            n=n,
            rule_inputs=rule_inputs,
            sensitivity=sensitivity,
            **extra,
        )
        if self.data.confidential and _session["scratch"] is None and self.results_dir.parent.name == "results":
            from vsr_analysis.build.confidential_precision import keep_private_evidence

            keep_private_evidence(self.results_dir, self.param_set)  # the run publishes it rounded
        from vsr_analysis.claims.ledger import decide, load_claims_spec

        spec = load_claims_spec()
        entry = next(c for c in spec["claims"] if c["id"] == claim)
        alpha = float(spec.get("alpha", 0.05))
        evidence = json.loads((self.results_dir / "evidence.json").read_text(encoding="utf-8"))
        decision = decide(entry, evidence, alpha, evidence["primary"].get("p_value"))
        from vsr_analysis.claims.ledger import in_holm_family

        confirmatory = entry.get("confirmatory", True)
        note = (
            "This is the decision at the unadjusted level α = {a:g}. The ledger's final verdict applies "
            "Holm's correction across the confirmatory family; see {{ref}}`claims-at-a-glance`."
            if in_holm_family(entry)
            else "This claim is outside the Holm family (its verdict rests on a count, not on a p-value); "
            "see {{doc}}`../methods/decision-rules`."
            if confirmatory
            else "This claim is exploratory (no family-wise adjustment)."
        ).format(a=alpha)
        kind = {"supported": "tip", "not supported": "danger", "inconclusive": "note"}[decision.verdict]
        markdown(
            f":::{{admonition}} Decision for {claim}: {decision.verdict}\n:class: {kind} verdict-box\n"
            f"{decision.reason}.\n\n{note}\n:::"
        )
        return evidence

    def evidence_of_claims(self, evidences: dict[str, dict]) -> dict:
        """Record the evidence of several claims this chapter decides (claim id -> evidence: ``primary``, ``n``,
        ``rule_inputs``, optionally ``not_estimable``), each under its ``evidence_part`` of claims.yml, and show each
        claim's decision before any multiplicity adjustment (a box per claim, as :meth:`evidence` shows one)."""
        from vsr_analysis.claims.evidence import record_parts_evidence
        from vsr_analysis.claims.ledger import decide, in_holm_family, load_claims_spec

        spec = load_claims_spec()
        entries = {c["id"]: c for c in spec["claims"]}
        parts = {entries[cid]["evidence_part"]: ev for cid, ev in evidences.items()}
        record_parts_evidence(self.results_dir, claims=list(evidences), survey=self.data.spec, parts=parts)
        if self.data.confidential and _session["scratch"] is None and self.results_dir.parent.name == "results":
            from vsr_analysis.build.confidential_precision import keep_private_evidence

            keep_private_evidence(self.results_dir, self.param_set)  # the run publishes it rounded
        alpha = float(spec.get("alpha", 0.05))
        saved = json.loads((self.results_dir / "evidence.json").read_text(encoding="utf-8"))
        for cid in evidences:
            entry = entries[cid]
            ev = saved["parts"][entry["evidence_part"]]
            decision = decide(entry, ev, alpha, ev["primary"].get("p_value"))
            note = (
                "The ledger's final verdict applies Holm's correction across the confirmatory family; see "
                "{ref}`claims-at-a-glance`."
                if in_holm_family(entry)
                else "This claim is outside the Holm family and decided at the unadjusted level "
                f"α = {alpha:g}; see {{ref}}`claims-at-a-glance`."
            )
            kind = {"supported": "tip", "not supported": "danger", "inconclusive": "note"}[decision.verdict]
            markdown(
                f":::{{admonition}} Decision for {cid}: {decision.verdict}\n:class: {kind} verdict-box\n"
                f"{decision.reason}.\n\n{note}\n:::"
            )
        return saved


def _set_plot_theme() -> None:
    """One look for every chapter's figures (seaborn's whitegrid, the colour-blind palette, phone-sized fonts)."""
    from vsr_analysis.stats.figure_style import set_style

    set_style()


def _display_html(text: str) -> None:
    from IPython.display import HTML

    _display(HTML(text))


def show_provenance(parameters: dict, spec: str) -> None:
    extra = []
    try:
        from vsr_analysis.loading import survey_data_path

        extra.append(survey_data_path(spec))
    except Exception:
        pass
    st = stamp(parameters, extra_files=extra)
    rows = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td><code>{v}</code></td></tr>" for k, v in st.data.items()
    )
    versions = ", ".join(f"{k} {v}" for k, v in st.packages.items())
    params = html.escape(json.dumps(parameters, sort_keys=True, default=str))
    _display_html(
        '<details class="provenance"><summary>Provenance of this page (commit, data checksums, '
        "software)</summary>"
        f"<p><strong>Commit:</strong> <code>{html.escape(st.commit_label())}</code><br>"
        f"<strong>Executed:</strong> {st.date} · Python {st.python}<br>"
        f"<strong>Parameters:</strong> <code>{params}</code><br>"
        f"<strong>Software:</strong> {html.escape(versions)}</p>"
        f"<table><thead><tr><th>input file</th><th>sha256</th></tr></thead><tbody>{rows}</tbody></table>"
        "</details>"
    )


def _parameter_cell_names(param_set: str) -> list[str]:
    """Names assigned in the parameters cell of the parameter set's template ([] when it is not in the run spec).

    Reads the run spec's entry for ``param_set`` and that one template only: ``load_runspec()`` would also check
    every notebook pair and read claims.yml once per template, about a CPU second in every kernel, for a spec
    that ``vsr run`` has already checked before it started this notebook."""
    import yaml

    from vsr_analysis.inputs.runspec import RunSpecError, template_parameters

    try:
        raw = parse_yaml(paths.runspec_path().read_text(encoding="utf-8"))
        for entry in raw["notebooks"]:
            names = [p.get("name") for p in entry.get("parameter_sets") or [] if isinstance(p, dict)]
            if param_set in names:
                return list(template_parameters((paths.project_root() / entry["template"]).resolve()))
    except (RunSpecError, KeyError, OSError, ValueError, TypeError, AttributeError, yaml.YAMLError):
        return []
    return []


def _simple(v: object) -> bool:
    return isinstance(v, (str, int, float, bool, list, dict, type(None)))


def stamped_parameters(param_set: str, parameters: dict | None, namespace: dict) -> dict:
    """``parameters`` (simple values only) plus every other name of the template's parameters cell found in
    ``namespace`` (the notebook's globals); ``survey``, ``param_set`` and ``results_dir`` are stamped elsewhere."""
    params = {
        k: v
        for k, v in (parameters or {}).items()
        if not k.startswith("_") and _simple(v) and k not in {"In", "Out", "results_dir"}
    }
    for name in _parameter_cell_names(param_set):
        if name not in params and name not in {"survey", "param_set", "results_dir"} and name in namespace:
            if _simple(namespace[name]):
                params[name] = namespace[name]
    return params


def claim_of(param_set: str) -> str | None:
    """The claim a template's default ``claim = None`` stands for in a run by hand: the claim of claims.yml whose
    ``parameter_set`` names ``param_set`` (``vsr run`` passes it; see ``inputs.runspec.claim_of_parameter_set``)."""
    from vsr_analysis.claims.ledger import load_claims_spec
    from vsr_analysis.inputs.runspec import claim_of_parameter_set

    return claim_of_parameter_set(param_set, list(load_claims_spec()["claims"]))


def start(*, survey: str, param_set: str, results_dir: str | None, parameters: dict | None = None) -> Context:
    """Load the chapter's data, show the banner and provenance, set the plot theme; return the :class:`Context`.

    The provenance stamp records ``parameters`` and, in any case, every name of the template's parameters cell
    (read from the caller's namespace), so that no parameter that changes results is left out of it.
    """
    parts = parse_spec(survey)
    params = stamped_parameters(param_set, parameters, sys._getframe(1).f_globals)
    if "claim" in params and params["claim"] is None:  # a run by hand: `vsr run` always passes the claim
        params["claim"] = claim_of(param_set)
    _set_plot_theme()
    results = output_folder(param_set, results_dir)  # first: an interactive run says so before anything else
    data = load_frame(survey)
    if parts["kind"] == "synthetic":
        markdown(SIMULATED_BANNER.format(spec=survey))
    show_provenance(params, survey)
    dropped = data.weight_info.get("dropped_margins")
    if dropped:
        markdown(
            ":::{admonition} Weighting on this survey file\n:class: note\n"
            "The respondents of this file cannot meet every raking margin at once, so by the pre-specified rule "
            f"(see the weighting page) the margin(s) {', '.join(dropped)} were dropped; the weights meet "
            f"{', '.join(data.weight_info['margins']) or 'no margin (equal weights)'}.\n:::"
        )
    if _session["scratch"] is None:
        markdown(
            f"{{download}}`Download the executed notebook ({param_set}.ipynb) <{param_set}.ipynb>` · "
            "result tables are offered for download (CSV) below each table."
        )
    return Context(data, param_set, results, params)
