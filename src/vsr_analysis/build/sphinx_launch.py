"""A small Sphinx extension that points the book's Binder launch buttons at the chapter's *template*.

The book's chapters are executed notebooks in ``book/executed/``, which ``vsr run`` makes and git ignores: a
Binder session (which clones the repository) has no such file. The theme's launch button would open
``book/executed/<parameter set>.ipynb``; this extension rewrites it to open the template the chapter was
executed from, ``notebooks/<template>.ipynb`` (from ``runspec.yml``), in JupyterLab. The link is an ordinary
anchor: nothing is fetched from the Binder service unless a reader clicks it, so the book stays offline.

Enabled in ``_config.yml`` under ``sphinx: extra_extensions``; a page that is not an executed chapter keeps
the theme's link.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _templates() -> dict[str, str]:
    """``{"book/executed/<parameter set>": "notebooks/<template>.ipynb"}`` from the run spec."""
    from vsr_analysis import paths
    from vsr_analysis.inputs.runspec import load_runspec

    root = paths.project_root()
    spec = load_runspec(paths.runspec_path())
    return {f"book/executed/{p.name}": p.template.relative_to(root).as_posix() for p in spec.parameter_sets}


def launch_path(pagename: str) -> str | None:
    """The repository path a launch button should open for ``pagename`` (None: keep the theme's)."""
    return _templates().get(pagename)


def _retarget(app, pagename, templatename, context, doctree) -> None:
    target = launch_path(pagename)
    if target is None:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            url = button.get("url", "")
            if "urlpath=" in url:
                base, _, urlpath = url.partition("urlpath=")
                interface = urlpath.split("/book/executed/", 1)[0]
                button["url"] = f"{base}urlpath={interface}/{target}"


def setup(app):
    # after sphinx-book-theme's add_launch_buttons (priority 501), before the page is rendered
    app.connect("html-page-context", _retarget, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
