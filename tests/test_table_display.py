"""Result tables as a page shows them (vsr_analysis/claims/table_display.py); the CSV keeps names and values."""

import re

import numpy as np
import pandas as pd

from vsr_analysis.claims.table_display import display_frame, format_p, header_words


def test_headers_read_as_words():
    assert header_words("ci_low") == "95 % CI, lower"
    assert header_words("ci_high (exact)") == "95 % CI, upper (exact)"
    assert header_words("p_value") == "p"
    assert header_words("share_unweighted") == "share unweighted"
    assert header_words("municipalities naming it") == "municipalities naming it"


def test_cells_yes_no_p_values_and_thousands():
    table = pd.DataFrame(
        {
            "term": ["a", "b"],
            "population": [1518, 693494],
            "estimate": [0.42712, np.nan],
            "p_value": [0.0004, 0.0421],
            "permutation p": [0.5, 1e-5],
            "covered": [True, False],
            "threshold": [20000.0, 0.5],
        }
    )
    shown = display_frame(table, digits=2)
    assert list(shown.columns) == ["term", "population", "estimate", "p", "permutation p", "covered", "threshold"]
    assert shown["population"].tolist() == ["1,518", "693,494"]
    assert shown["estimate"].iloc[0] == "0.43" and pd.isna(shown["estimate"].iloc[1])
    assert shown["p"].tolist() == ["< 0.001", "0.042"]
    assert shown["permutation p"].tolist() == ["0.500", "< 0.001"]
    assert shown["covered"].tolist() == ["yes", "no"]
    assert shown["threshold"].tolist() == ["20,000", "0.50"]
    assert table["p_value"].iloc[0] == 0.0004  # the table itself (what the CSV gets) is unchanged
    assert "–" in display_frame(table).to_html(na_rep="–")


def test_format_p():
    assert format_p(0.00099) == "< 0.001" and format_p(0.001) == "0.001" and format_p(0.5) == "0.500"


def test_missing_and_infinite_cells_never_show_a_python_repr():
    import pandas as pd

    from vsr_analysis.claims.table_display import display_frame

    table = pd.DataFrame(
        {
            "required": [5.0, float("inf"), float("-inf")],
            "n": pd.array([1, pd.NA, 3], dtype="Int64"),
            "x": [None, "a", "b"],
        }
    )
    html = display_frame(table).to_html(na_rep="–")
    assert not re.search(r">\s*(-?inf|&lt;NA&gt;|None|nan)\s*<", html), html
    assert html.count(">–<") == 2 and "∞" in html and "−∞" in html


def test_path_reprs_are_dropped_from_executed_notebooks_and_other_outputs_kept(tmp_path):
    import nbformat

    from vsr_analysis.build.output_hygiene import drop_path_reprs

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("write_table(...)")
    cell.outputs = [
        nbformat.v4.new_output("execute_result", data={"text/plain": "PosixPath('../results/x/t.csv')"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": "1.5"}),
    ]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "a.ipynb")
    assert drop_path_reprs(tmp_path) == ["a"]
    outputs = nbformat.read(tmp_path / "a.ipynb", as_version=4).cells[0].outputs
    assert [o["data"]["text/plain"] for o in outputs] == ["1.5"]
    assert drop_path_reprs(tmp_path) == []


def test_nca_bottleneck_reads_in_words_not_inf_or_nan():
    from vsr_analysis.build.nca_display import readable_bottleneck

    bn = pd.DataFrame(
        {
            "y_level": [1, 2, 3],
            "required_x": [np.nan, 12.3456, np.inf],
            "required_x_percentile": [np.nan, 40.0, np.nan],
            "status": ["NN", "required", "NA"],
        }
    )
    out = readable_bottleneck(bn)
    assert out["condition level required"].tolist() == ["none", "12.35", "beyond the observed data"]
    assert out["reading"].str.startswith(("not necessary", "required", "not reached")).all()
    assert not re.search(r"\b(inf|nan|NN|NA)\b", out.to_html())
