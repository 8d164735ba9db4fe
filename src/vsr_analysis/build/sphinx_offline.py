"""A small Sphinx extension that keeps the book offline and its pages free of console errors.

Jupyter Book 1 always loads sphinx-thebe (live code cells on a remote Binder kernel). This book is read
offline and its notebooks are executed by papermill, so thebe has nothing to do; worse, its inline
configuration script is added twice to every page, which makes browsers report
"Identifier 'THEBE_JS_URL' has already been declared", and it names a script on a CDN. This extension drops
thebe's scripts from every page and removes any remaining duplicate script entries.

Enabled in ``_config.yml`` under ``sphinx: extra_extensions``.
"""

from __future__ import annotations


def _script_key(script) -> tuple:
    filename = getattr(script, "filename", None) or str(script)
    body = getattr(script, "attributes", {}).get("body", "")
    return filename, body


def _is_thebe(script) -> bool:
    filename = str(getattr(script, "filename", "") or "")
    body = str(getattr(script, "attributes", {}).get("body", "") or "")
    return "thebe" in filename.lower() or "THEBE" in body or "thebe" in body


def _clean_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        if _is_thebe(script):
            continue
        key = _script_key(script)
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _clean_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
