"""The package's architecture, checked statically (ast): no import cycle, layers that import only downwards,
every pinned runtime dependency used, and thin notebook templates."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from ruff import find_ruff_bin

from vsr_analysis import paths

ROOT = paths.project_root()
PACKAGE = ROOT / "src" / "vsr_analysis"
TEMPLATES = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_TEMPLATE_CODE_LINES = 120

#: Pinned runtime dependencies nobody imports, and why they are pinned anyway.
NOT_IMPORTED = {
    "dask": "the core `distributed` builds on; its `dask scheduler` and `dask worker` commands start a cluster by hand (README)",
    "jupyter-book": "the book builder, run as the `jupyter-book build` command by build/book.py (vsr book)",
    "ipykernel": "the Python kernel papermill and JupyterLab execute notebooks in (registered by `make setup`)",
    "jupyterlab": "the interactive editor for notebook templates (README: working on a chapter)",
    "notebook": "pinned to a release that accepts the pinned jupyterlab: repo2docker's base image ships one that does not (Binder)",
    "odfpy": "the engine pandas reads .ods survey files with (imported by pandas as `odf`, data/survey_readers.py)",
}
#: Distribution name -> import name where they differ.
IMPORT_NAME = {"pyyaml": "yaml", "scikit-learn": "sklearn", "jupyter-book": "jupyter_book"}

#: Templates not yet at most MAX_TEMPLATE_CODE_LINES code lines; their owners are thinning them (issue 11).
#: The coordinator shrinks this list as they land: a template that becomes thin makes its xfail fail (strict).
NOT_YET_THIN: set[str] = set()  # every template is thin now; list one here only with an issue to thin it


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, *, module_level_only: bool) -> set[str]:
    """Package modules ``path`` imports (``from a import b`` counts ``a.b`` when that is a module)."""
    tree = ast.parse(path.read_bytes())
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    if module_level_only:  # also imports under module-level if/try (not in functions)
        nodes = [n for top in tree.body if not isinstance(top, (ast.FunctionDef, ast.ClassDef)) for n in ast.walk(top)]
    me = _module_name(path)
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        out.update(n for n in names if n in MODULES and n != me)
    return out


def _graph(module_level_only: bool) -> dict[str, set[str]]:
    return {m: _imports(p, module_level_only=module_level_only) for m, p in MODULES.items()}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if n == "vsr_analysis":  # the package __init__ imports nothing of ours
                continue
            if state.get(n) == 1:
                return stack[stack.index(n) :] + [n]
            if n not in state and (cycle := visit(n)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (cycle := visit(m)):
            return cycle
    return None


def test_no_module_level_import_cycle():
    assert _find_cycle(_graph(module_level_only=True)) is None


def test_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


# Each layer and the layers it may import (any import, also inside functions).  Data flow one way:
# data -> stats -> claims -> inputs -> build (and simulate), with loading.py composing data, synth and stats into the frame a run reads,
# chapter/ on top for notebooks and cli/ on top of everything. The test asserts this graph, with no exceptions.
ALLOWED = {
    "__init__": set(),
    "errors": set(),
    "paths": set(),
    "data": {"data", "paths", "errors", "__init__"},
    "ssb": {"ssb", "data", "paths", "errors", "__init__"},
    "synth": {"synth", "claims", "data", "paths", "errors", "__init__"},  # claims: a claim's truth from its spec
    "stats": {"stats", "data", "paths", "errors", "__init__"},
    "claims": {"claims", "stats", "data", "paths", "errors", "__init__"},
    # a survey made available (a synthetic replica generated on demand), read and weighted: data + synth + stats
    "loading": {"data", "synth", "stats", "paths", "errors", "__init__"},
    # the run spec, the templates' pairs, fingerprints and provenance: what build/ and simulate/ both read
    "inputs": {"inputs", "claims", "stats", "data", "paths", "errors", "__init__"},
    "build": {
        *("build", "inputs", "claims", "stats", "data", "ssb", "synth", "loading", "chapter"),
        *("paths", "errors", "__init__"),
    },
    "chapter": {"chapter", "build", "inputs", "claims", "stats", "data", "loading", "paths", "errors", "__init__"},
    # the simulation runs every claim's analysis on many replicas: it sits beside build/ (never importing it),
    # reading the run spec and fingerprinting its inputs through inputs/
    "simulate": {"simulate", "inputs", "claims", "stats", "data", "synth", "loading", "paths", "errors", "__init__"},
    # the templates' one door into the package: it resolves names lazily and imports nothing statically, and no
    # module of the package imports it (no other layer lists it)
    "api": set(),
}
#: ``cli/`` (the ``vsr`` command: every parser and handler) is the top layer: it may import every layer but the
#: templates' door, and no other layer lists it, so no other layer may import it.
ALLOWED["cli"] = set(ALLOWED) - {"api"} | {"cli"}


def test_only_the_cli_layer_may_import_the_cli_layer():
    assert [layer for layer, allowed in ALLOWED.items() if "cli" in allowed] == ["cli"]


def test_layers_import_only_downwards():
    bad = []
    for module, imported in _graph(module_level_only=False).items():
        layer = _layer(module)
        assert layer in ALLOWED, f"new top-level module {module}: add its layer to ALLOWED"
        bad += [f"{module} -> {dep}" for dep in sorted(imported) if _layer(dep) not in ALLOWED[layer]]
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def _private_uses(path: Path) -> list[str]:
    """Private names (``_x``, not dunder) of another package module that ``path`` uses: ``from m import _x`` and
    ``m._x`` where ``m`` is a module of ours imported by name."""
    tree = ast.parse(path.read_bytes())
    me = _module_name(path)
    aliases: dict[str, str] = {}  # local name -> our module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vsr_analysis"):
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in MODULES:
                    aliases[a.asname or a.name] = full
                elif node.module != me and a.name.startswith("_") and not a.name.startswith("__"):
                    found.append(f"{me}: from {node.module} import {a.name}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in MODULES and a.asname:
                    aliases[a.asname] = a.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and aliases[node.value.id] != me
        ):
            found.append(f"{me}: {aliases[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_a_private_name_of_another():
    found = [use for path in MODULES.values() for use in _private_uses(path)]
    assert not found, "private names used across modules (make them public or keep them inside):\n" + "\n".join(
        sorted(set(found))
    )


def test_private_name_finder_finds_both_forms(tmp_path, monkeypatch):
    path = PACKAGE / "synth" / "estimands.py"  # a real module path, so that its name resolves
    source = "from vsr_analysis.synth.model import _hidden\nfrom vsr_analysis.synth import replica\nreplica._Model\n"
    monkeypatch.setattr(Path, "read_bytes", lambda self: source.encode() if self == path else b"")
    assert sorted(_private_uses(path)) == [
        "vsr_analysis.synth.estimands: from vsr_analysis.synth.model import _hidden",
        "vsr_analysis.synth.estimands: vsr_analysis.synth.replica._Model",
    ]


CLI_PACKAGE = PACKAGE / "cli"


def _names_namespace(annotation: ast.expr | None) -> bool:
    """Whether a parameter's annotation names ``Namespace`` (``argparse.Namespace``, ``Namespace | None``, or the
    same as a string)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return "Namespace" in annotation.value
    return annotation is not None and any(
        (isinstance(n, ast.Name) and n.id == "Namespace") or (isinstance(n, ast.Attribute) and n.attr == "Namespace")
        for n in ast.walk(annotation)
    )


def _command_line_code(source: str) -> list[str]:
    """The command-line code in ``source``, as "line: what": imports of argparse (anywhere, also inside a function),
    functions with a parameter annotated as an ``argparse.Namespace``, and handlers named ``cli_<command>`` (the
    handlers' name, CONTRIBUTING.md, which also finds one whose parameter is not annotated)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names if a.name.split(".")[0] == "argparse"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "argparse":
            found.append((node.lineno, f"from {node.module} import {', '.join(a.name for a in node.names)}"))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *(p for p in (a.vararg, a.kwarg) if p is not None)]
            if any(_names_namespace(p.annotation) for p in params):
                found.append((node.lineno, f"def {node.name}: takes an argparse.Namespace"))
            elif node.name.startswith("cli_"):
                found.append((node.lineno, f"def {node.name}: a command-line handler"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_only_the_cli_package_parses_command_lines():
    """Every argument parser and handler of ``vsr`` lives in ``vsr_analysis/cli/``: no other module imports
    argparse or defines a function that takes the parsed ``argparse.Namespace``; the library functions the
    handlers call take plain values."""
    found = [
        f"{path.relative_to(ROOT)}:{hit}"
        for path in MODULES.values()
        if CLI_PACKAGE not in path.parents
        for hit in _command_line_code(path.read_text(encoding="utf-8"))
    ]
    assert not found, "command-line code outside vsr_analysis/cli/ (move it there):\n" + "\n".join(found)


def test_the_command_line_finder_sees_every_form():
    code = (
        "import argparse, json\n"
        "from argparse import Namespace\n"
        "def handle(args: argparse.Namespace) -> int:\n    import argparse as ap\n"
        "def other(x, /, *, ns: 'Namespace | None' = None): ...\n"
        "def cli_book(args): ...\n"
        "class K:\n    async def m(self, a: Namespace): ...\n"
        "def library(args: list[str], namespace: dict | None = None) -> int: ...\n"
    )
    assert _command_line_code(code) == [
        "1: import argparse",
        "2: from argparse import Namespace",
        "3: def handle: takes an argparse.Namespace",
        "4: import argparse",
        "5: def other: takes an argparse.Namespace",
        "6: def cli_book: a command-line handler",
        "8: def m: takes an argparse.Namespace",
    ]
    # and on the real sources it finds the handlers where they belong
    hits = _command_line_code((CLI_PACKAGE / "validate.py").read_text(encoding="utf-8"))
    assert any(h.endswith(": import argparse") for h in hits) and any("def cli_validate" in h for h in hits)


def test_data_and_stats_never_import_build_or_cli_and_ssb_only_data_and_paths():
    graph = _graph(module_level_only=False)
    for module, imported in graph.items():
        layers = {_layer(d) for d in imported}
        if _layer(module) in ("data", "stats"):
            assert not layers & {"build", "cli", "chapter"}, module
        if _layer(module) == "ssb":
            assert layers <= {"ssb", "data", "paths", "errors", "__init__"}, module


def _distribution(requirement: str) -> str:
    return re.split(r"[=<>!~\[ ]", requirement, maxsplit=1)[0].strip().lower()


def _top_level_imports(sources: list[str]) -> set[str]:
    found = set()
    for src in sources:
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def _template_code(template: Path) -> list[str]:
    nb = json.loads(template.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_every_pinned_runtime_dependency_is_imported_or_justified():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    sources = [p.read_text(encoding="utf-8") for p in MODULES.values()]
    sources += [code for t in TEMPLATES for code in _template_code(t)]
    imported = _top_level_imports(sources)
    unused = []
    for req in deps:
        dist = _distribution(req)
        name = IMPORT_NAME.get(dist, dist.replace("-", "_"))
        if name in imported:
            assert dist not in NOT_IMPORTED, f"{dist} is imported now: remove it from NOT_IMPORTED"
        elif dist not in NOT_IMPORTED:
            unused.append(dist)
    assert not unused, f"pinned but imported by neither the package nor a notebook: {unused}"
    assert set(NOT_IMPORTED) <= {_distribution(r) for r in deps}, "NOT_IMPORTED names a dependency not pinned"


def _ruff_formatted(code: str) -> str:
    """``code`` as ``ruff format`` writes it under the project's settings (line length 120)."""
    out = subprocess.run(
        [find_ruff_bin(), "format", "--stdin-filename", str(ROOT / "notebooks" / "cell.py"), "-"],
        input=code,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return out.stdout


def template_code_lines(template: Path) -> int:
    """Non-blank, non-comment lines in the code cells of a template, as ruff formats them (a long call folded over
    several lines counts every line, so the limit cannot be met by packing code into long lines)."""
    formatted = _ruff_formatted("\n\n# %%\n".join(_template_code(template)))  # one ruff call: cells as in the .py pair
    return sum(1 for line in formatted.splitlines() if line.strip() and not line.strip().startswith("#"))


def test_templates_pass_ruff():
    """The templates' .py pairs are linted and formatted like the package (`make lint` runs the same)."""
    pairs = sorted(str(p) for p in (ROOT / "notebooks").glob("*.py"))
    check = subprocess.run([find_ruff_bin(), "check", *pairs], capture_output=True, text=True, cwd=ROOT)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run([find_ruff_bin(), "format", "--check", *pairs], capture_output=True, text=True, cwd=ROOT)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize(
    "template",
    [
        pytest.param(
            t,
            id=t.name,
            marks=[pytest.mark.xfail(strict=True, reason="not yet thinned (issue 25)")]
            if t.name in NOT_YET_THIN
            else [],
        )
        for t in TEMPLATES
    ],
)
def test_template_is_thin(template):
    n = template_code_lines(template)
    assert n <= MAX_TEMPLATE_CODE_LINES, f"{template.name}: {n} code lines (at most {MAX_TEMPLATE_CODE_LINES})"


def test_not_yet_thin_names_real_templates():
    assert NOT_YET_THIN <= {t.name for t in TEMPLATES}


def _package_imports_of(code: str) -> list[str]:
    """Each import statement of ``code`` that reaches the package, as "module: names"."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "vsr_analysis":
            found.append(f"{node.module}: {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "vsr_analysis"]
    return found


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_templates_import_the_package_only_through_its_api(template):
    """A template's one public module is ``vsr_analysis.api``: ``from vsr_analysis.api import name, ...``."""
    found = [imp for code in _template_code(template) for imp in _package_imports_of(code)]
    assert found, f"{template.name} imports nothing of the package"
    others = [imp for imp in found if not imp.startswith("vsr_analysis.api: ")]
    assert not others, f"{template.name} imports the package around vsr_analysis.api: {others}"


def test_the_import_finder_sees_every_form():
    code = (
        "import vsr_analysis.chapter\nfrom vsr_analysis.api import start\nfrom vsr_analysis import paths\nimport os\n"
    )
    assert _package_imports_of(code) == ["vsr_analysis.chapter", "vsr_analysis.api: start", "vsr_analysis: paths"]


#: A claim ID as a word of an identifier (``f3_evidence``, ``F5_TERMS``, ``pseudo_true_f5``): the pattern the text
#: check below cannot see, since ``_`` is a word character.
CLAIM_ID_WORD = re.compile(r"(?:^|_)[fF](?:10|[1-9])[a-d]?(?:_|$)")


def _identifiers(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.lineno, node.name
        elif isinstance(node, ast.arg):
            yield node.lineno, node.arg
        elif isinstance(node, ast.keyword) and node.arg:
            yield node.value.lineno, node.arg
        elif isinstance(node, ast.alias):
            yield getattr(node, "lineno", 0), node.asname or node.name.rsplit(".", 1)[-1]


def test_no_identifier_of_the_package_or_templates_is_named_after_a_claim():
    """Functions, constants and variables say what an analysis is (``network_kinds_evidence``), not which claim
    uses it (``f5_evidence``): a claim's meaning lives in claims.yml."""
    sources = {path.relative_to(ROOT): path.read_text(encoding="utf-8") for path in sorted(PACKAGE.rglob("*.py"))}
    sources.update({t.relative_to(ROOT): "\n".join(_template_code(t)) for t in TEMPLATES})
    found = [
        f"{where}:{line}: {name}"
        for where, text in sources.items()
        for line, name in _identifiers(ast.parse(text))
        if CLAIM_ID_WORD.search(name)
    ]
    assert not found, "identifiers named after a claim:\n" + "\n".join(sorted(set(found)))


def test_the_identifier_check_sees_claim_ids_as_words():
    code = "def f5_evidence(x): return F3_TERMS[x].f10\n"
    assert {n for _, n in _identifiers(ast.parse(code)) if CLAIM_ID_WORD.search(n)} == {
        "f5_evidence",
        "F3_TERMS",
        "f10",
    }
    assert not any(CLAIM_ID_WORD.search(n) for n in ("f_stat", "pf5x", "fdr", "fit_ordinal", "f", "F", "ff5"))


def test_no_module_of_the_package_names_a_claim_id():
    # A claim's meaning lives in claims.yml: code and docstrings say what an analysis is, never which claim it is
    # for (a new module's docstring beginning "F9's figure" is how IDs crept back in).
    claim_id = re.compile(r"\bF(10|[1-9])[a-d]?\b")
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if claim_id.search(line)
    ]
    assert not found, "claim IDs in the package:\n" + "\n".join(found)


def test_no_template_or_page_is_named_after_a_claim():
    """A template is named for what it analyses and a page (a parameter set: its file and address in the book) for
    its topic; which claim a page decides is declared in claims.yml (``parameter_set``), not in a name."""
    from vsr_analysis.inputs.runspec import load_runspec

    names = [t.stem for t in TEMPLATES] + [p.name.replace("-", "_") for p in load_runspec().parameter_sets]
    assert len(names) > len(TEMPLATES)
    assert not [n for n in names if CLAIM_ID_WORD.search(n)], "named after a claim: " + ", ".join(
        n for n in names if CLAIM_ID_WORD.search(n)
    )
    assert CLAIM_ID_WORD.search("f6-master-plan".replace("-", "_"))  # the check sees the old names
