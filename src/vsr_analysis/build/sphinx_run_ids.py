"""A Sphinx extension that records what each run-made page was built from, for ``vsr book``'s one-run check.

For every document under ``book/executed/`` or ``book/generated/`` that Sphinx reads, the ``source-read`` event
hands over the exact text Sphinx is about to parse. Its hash (``content_hash``, line endings and a byte-order
mark normalised) is appended, with the document's name and source path, to the file named by the environment
variable ``VSR_BOOK_PAGE_LOG``. After Sphinx, ``vsr book`` compares every page's recorded hash with the file now
published under the run's manifest: a page read from another run's file (a publish between the checks, a hand
swap) does not match, and the build is refused. Without the variable (``jupyter-book`` started by hand) the
extension does nothing.

Enabled in ``_config.yml`` under ``sphinx: extra_extensions``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

LOG_VARIABLE = "VSR_BOOK_PAGE_LOG"
RUN_FOLDERS = ("book/executed/", "book/generated/")


def content_hash(text: str) -> str:
    """The sha256 of ``text`` with a leading byte-order mark dropped and line endings normalised."""
    text = text.removeprefix("\ufeff")
    return hashlib.sha256("\n".join(text.splitlines()).encode("utf-8")).hexdigest()


def _record(app, docname: str, source: list[str]) -> None:
    log = os.environ.get(LOG_VARIABLE)
    if not log or not docname.startswith(RUN_FOLDERS):
        return
    path = Path(app.env.doc2path(docname))
    try:
        rel = path.relative_to(Path(app.srcdir)).as_posix()
    except ValueError:
        rel = str(path)
    line = json.dumps({"docname": docname, "path": rel, "sha": content_hash(source[0])}) + "\n"
    # one small O_APPEND write per page: safe when Sphinx reads in parallel processes
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def setup(app):
    app.connect("source-read", _record)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
