"""The disclosure policy of a chapter: what a run on a confidential survey file may publish.

``DisclosurePolicy`` is the part of ``context.Context`` that decides it: every result table goes through
``table`` (small cells suppressed, or the disclosure engine of ``stats.sdc`` across the chapter's tables, numbers
coarsened, unit-level tables refused) and what was released is ``released(name)``; every figure goes through
``figure``, which refuses one that draws units at their own register values or names a municipality
(``binned_counts_figure`` draws counts per cell instead); ``register_value`` says a register value as it may be
published; ``keep_evidence_private`` keeps the exact evidence of a confidential run out of the published folder.
On synthetic data all of it publishes what it is given.
"""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd

import vsr_analysis.chapter.display as display
import vsr_analysis.chapter.myst as myst
import vsr_analysis.chapter.output as output
from vsr_analysis.claims.evidence import write_table


class DisclosurePolicy:
    """What a chapter may publish; mixed into ``Context``, whose ``data``, ``frame``, ``respondents``,
    ``synthetic``, ``param_set``, ``results_dir`` and ``book_link`` it reads."""

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
        written = (
            table if not self.synthetic else table.assign(data=output.SIMULATED_CSV_LABEL.format(spec=self.data.spec))
        )
        if self.synthetic:
            written = written[["data", *table.columns]]
        path = write_table(self.results_dir, name, written)
        if show:
            from vsr_analysis.claims.table_display import display_frame

            # the page shows headers in words and formatted numbers; the CSV keeps names and full precision
            shown = display_frame(table, float_digits)
            rel = self.book_link(path.name)
            if numbered and display.session["scratch"] is None:
                label = myst.table_label(self.param_set, name)
                myst.markdown(
                    myst.myst_table(
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
                display.show_html(f'<p class="table-caption"><strong>{html.escape(caption)}</strong></p>{body}')
            if rel:
                myst.markdown(f"{{download}}`Download this table (CSV) <{rel}>`")

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
        if display.session["scratch"] is not None or self.results_dir.parent.name != "results":
            return  # only inside a run's stage (<stage>/results/<set>): never beside a hand-picked results folder
        folder = self.results_dir.parent.parent / "private"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.param_set}.json").write_text(json.dumps(self._sdc.records()), encoding="utf-8")

    def figure(self, fig, name: str, alt: str, caption: str) -> None:
        """Save a figure as SVG in the results folder and show it with alt text and a caption.

        Returns nothing (a returned path would be printed when the call ends a cell, and it names the
        staging folder the kernel writes into)."""
        self._refuse_unit_level_figure(fig, name)
        output.save_figure(fig, self.results_dir, name, alt, caption, self.book_link(f"{name}.svg"))

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

    def keep_evidence_private(self) -> None:
        """On a confidential run inside a run's stage, keep the evidence just recorded private: the run publishes it
        rounded (``build.confidential_precision``); never in an interactive run."""
        if self.data.confidential and display.session["scratch"] is None and self.results_dir.parent.name == "results":
            from vsr_analysis.build.confidential_precision import keep_private_evidence

            keep_private_evidence(self.results_dir, self.param_set)  # the run publishes it rounded
