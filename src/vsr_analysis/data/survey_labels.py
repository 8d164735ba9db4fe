"""Answer texts instead of codes, and a file's own value labels, against the codebook's labels.

Survey tools export answers as their texts by default ("helt enig" rather than 5).  :class:`LabelIndex` maps
every label the codebook gives a code of an item (English, Norwegian bokmål, aliases; the declared missing codes
too) back to the code.  Texts are compared after :func:`normalise`: case, surrounding and repeated whitespace and
one trailing period do not matter; nothing else is guessed (an unknown text is an error that lists the nearest
labels, never silently matched).
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from vsr_analysis.data.codebook import Code, Item


def normalise(text: str) -> str:
    """Compare form of a label: NFC, case-folded, whitespace collapsed, one trailing period dropped."""
    t = " ".join(unicodedata.normalize("NFC", str(text)).split()).casefold()
    if t.endswith("."):
        t = t[:-1].rstrip()
    return t


@dataclass(frozen=True)
class LabelIndex:
    """Label -> code of one item (normalised labels), and the codebook's own spelling of each label."""

    item: Item
    codes: dict[str, int | str]  # normalised label -> code
    spelled: dict[str, str]  # normalised label -> the codebook's spelling

    def code_of(self, text: str) -> int | str | None:
        return self.codes.get(normalise(text))

    def nearest(self, text: str, n: int = 3) -> list[tuple[str, int | str]]:
        """The ``n`` codebook labels closest to ``text`` (difflib's ratio), with their codes."""
        close = difflib.get_close_matches(normalise(text), list(self.codes), n=n, cutoff=0.0)
        return [(self.spelled[c], self.codes[c]) for c in close]


def _labels_of(code: Code) -> list[str]:
    return [code.en, code.nb, *code.aliases]


_INDEXES: dict[int, tuple[Item, LabelIndex]] = {}


def label_index(item: Item) -> LabelIndex:
    """The label index of ``item`` (built once per item object; items hold dicts, so they are not hashable)."""
    hit = _INDEXES.get(id(item))
    if hit is not None and hit[0] is item:
        return hit[1]
    codes: dict[str, int | str] = {}
    spelled: dict[str, str] = {}
    for code in (*item.codes, *item.missing_codes):
        for label in _labels_of(code):
            key = normalise(label)
            if key and key not in codes:
                codes[key] = code.code
                spelled[key] = label
    index = LabelIndex(item=item, codes=codes, spelled=spelled)
    _INDEXES[id(item)] = (item, index)
    return index


def label_agrees(item: Item, code: int | str, label: str) -> bool | None:
    """Does a file's value label for ``code`` mean what the codebook's labels of that code say?

    None when the codebook has no such code (neither valid nor declared missing).
    """
    for c in (*item.codes, *item.missing_codes):
        if c.code == code:
            return normalise(label) in {normalise(x) for x in _labels_of(c)}
    return None


def codebook_labels(item: Item, code: int | str) -> tuple[str, str] | None:
    """(en, nb) label of a code of ``item``, or None."""
    for c in (*item.codes, *item.missing_codes):
        if c.code == code:
            return c.en, c.nb
    return None
