"""One disclosure engine for linked tables, and the reconstruction audit a confidential release must pass.

Why our own and not ACRO (SACRO's output-checking package): ACRO checks each output on its own (threshold,
p-percent and dominance rules on one crosstab or model) and leaves disclosure *by differencing between outputs* to a
human output checker. The leaks of issue 29 are exactly of that kind (a margin minus the visible cells, a
cumulative column, the same count in another chapter, a census of 11 with zeros shown), and a confidential run here
has no human checker between the run and the book. So the engine works on the whole *linked set*: every released
number about one item is a constraint on the same unknown answers, and protection is checked by solving the
attacker's problem, not by a per-table rule.

The model (what an attacker knows): the register (each unit's public attributes), which units responded (assumed
known: the conservative case), and every released number. The unknowns are each respondent's answer to each item,
one level each (one-hot), the level ``None`` standing for "not answered" where that is possible.

Released numbers (``Release``):

- a **count cell**: the number of units of a public group (a set of unit ids) whose answer lies in a set of
  levels; shown as a number or as ``".."`` (suppressed). Every suppressed cell gets the same mark, whatever the
  reason (a count of 1 or 2, a complement or zero that reveals a group's answer, secondary suppression): a mark
  per reason ("<3" only for 1 or 2) would tell the attacker which hidden cells are small and let it pin them. The
  audit therefore gives a ``".."`` cell no information beyond 0 to its group's size. (``"<3"``, read as 1 or 2, is
  modelled only to audit releases made without this engine.)
- a **share cell**: a share of a group's answered units in a set of levels, rounded to ``digits``. Unweighted, it
  is a linear constraint ``|sum x - s sum a| <= (0.5 10^-digits) sum a`` (``a``: answered) of the integer program.
  Weighted (raking weights, which an attacker who knows who responded can compute), it is a knapsack constraint
  that the solver cannot settle in seconds; it is published in whole percent points and must pass the **class
  rule** instead (``pinned_classes``): units of one weighting class are interchangeable, so the share says no more
  than how many of each class are in the levels, and it is released only if it pins none of those class counts
  (given the group's count and who answered, both assumed known). The rule looks at one share at a time.

Protection (``Release.protect``): primary suppression (a count of 1 or 2; a count whose complement in its group
is 0, 1 or 2 — all or nearly all of a group at one answer; a zero of a yes/no item, which gives every unit of the
group the other answer; a share cell computed on fewer than
``MIN_CELL`` units or whose count is suppressed), then *secondary* suppression driven by the audit: while some
respondent's answer is determined by what is still released, the released cell that pins it (the smallest count
in a constraint on that respondent, shares before counts) is suppressed, and the audit is run again.

The census of the 11 county authorities needs no rule of its own beyond these: with the group's size public
(11), a count of authorities is shown only when it and its complement are both at least 3 and it is not a zero of
a yes/no item, so no number names what one authority, or all of them, answered; the audit checks the rest.

The audit (``audit``): for every respondent and item, is the answer determined, i.e. the same level in every
integer solution of the constraints? A first integer solution gives each respondent one level; solutions with
random objectives add witnesses, and a few programs steer every respondent still seen at one level away from it;
a respondent with one witness level after that gets its own integer program (is there a solution without that
level?); none means the released numbers determine its answer. Secondary suppression audits again after each
cell it hides and carries the solutions found so far (they stay solutions: hiding only removes constraints). HiGHS
(``scipy.optimize.milp``) solves each in milliseconds at this size.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MIN_CELL = 3
SMALL = "<3"  # how builds without the engine marked a suppressed count (read by an attacker as 1 or 2)
HIDDEN = ".."  # the engine's one mark for every suppressed cell
#: a suppressed cell about which the mark says nothing (how a build without this engine showed secondary cells)
OPAQUE = "x"
#: Decimal places of a *weighted* share on a confidential run (0.01; whole percent points). Raking gives the
#: respondents a few dozen distinct weights, one per weighting class, and an attacker who knows who responded can
#: compute them. A weighted share to the CSV's six digits, with its group's count beside it, then tells how many
#: units of each class gave the answer (issue 29's weighted-share attack: in the barrier chapter's barriers by size band of one
#: replica, 164 answers follow from the six-digit shares, 3 at three places, none at two). The audit takes the
#: share at the precision published, as the linear constraint above.
WEIGHTED_SHARE_DIGITS = 2


@dataclass
class CountCell:
    """The number of units of ``members`` whose answer to ``item`` is in ``levels``."""

    table: str
    label: str
    item: str
    levels: frozenset
    members: frozenset
    value: int
    shown: str | None = None  # None: not decided yet; the number as text, SMALL or HIDDEN
    reason: str = ""
    frozen: bool = False  # already published (an earlier table): protection may not change how it is shown
    context: bool = False  # a number assumed known from elsewhere (another chapter's margin): never recorded

    @property
    def released(self) -> bool:
        return self.shown not in (SMALL, HIDDEN, OPAQUE)


@dataclass
class ShareCell:
    """A (weighted) share of the answered units of ``members`` whose answer to ``item`` is in ``levels``."""

    table: str
    label: str
    item: str
    levels: frozenset
    members: frozenset
    value: float
    digits: int
    weights: dict | None = None  # unit -> weight; None: unweighted
    answered_levels: frozenset | None = None  # levels that count as answered (None: every level but None)
    shown: str | None = None
    reason: str = ""
    frozen: bool = False
    count: int | None = None  # weighted cells: the units in ``levels`` (private; the class rule assumes it known)
    answered: frozenset | None = None  # weighted cells: the members who answered (private, likewise)
    checked: tuple | None = field(default=None, repr=False)  # (shown, pinned classes): the class rule's last answer

    @property
    def released(self) -> bool:
        return self.shown not in (SMALL, HIDDEN, OPAQUE)


@dataclass
class AuditResult:
    determined: list[tuple[Hashable, str, Hashable]]  # (unit, item, level) recovered by the attacker
    recomputable: list[tuple[str, str, int]]  # (table, cell, value): a suppressed count the attacker recomputes
    items: int
    unknowns: int
    constraints: int
    integer_programs: int
    seconds: float
    by_item: dict = field(default_factory=dict)

    pinned_classes: list[tuple[str, str]] = field(default_factory=list)  # (table, cell): a weighted share that
    # pins the count of a weighting class (the class rule)

    @property
    def passed(self) -> bool:
        return not self.determined and not self.recomputable and not self.pinned_classes


class Release:
    """Every number a confidential build publishes about the respondents' answers, and how each is shown.

    ``answers``: one column per item, one row per respondent (index: unit id), a level or missing (None/NA);
    ``levels``: the possible levels of each item (the answer's domain, public: the codebook); missing answers are
    modelled as the level ``None`` when ``allow_missing``.
    """

    def __init__(self, answers: pd.DataFrame, levels: dict[str, Sequence], allow_missing: bool = True):
        self.answers = answers
        self.levels = {item: list(vals) + ([None] if allow_missing else []) for item, vals in levels.items()}
        self.cells: list[CountCell | ShareCell] = []

    # -- recording ----------------------------------------------------------------------------------------------
    def _value(self, item: str, levels: frozenset, members: frozenset) -> np.ndarray:
        col = self.answers.loc[sorted(members, key=str), item] if members else pd.Series(dtype=object)
        return col.map(lambda v: (None if pd.isna(v) else v) in levels).to_numpy(dtype=bool)

    def count(self, table: str, label: str, item: str, levels: Iterable, members: Iterable) -> CountCell:
        levels, members = frozenset(levels), frozenset(members)
        cell = CountCell(table, label, item, levels, members, int(self._value(item, levels, members).sum()))
        self.cells.append(cell)
        return cell

    def assume_known(self, table: str, label: str, item: str, levels: Iterable, members: Iterable) -> CountCell:
        """A count another chapter publishes (a margin of this chapter's table): protection assumes the attacker
        has it, whether or not that chapter hides it (the safe side), and it is not recorded as released here."""
        cell = self.count(table, label, item, levels, members)
        cell.shown, cell.frozen, cell.context = str(cell.value), True, True
        return cell

    def share(
        self,
        table: str,
        label: str,
        item: str,
        levels: Iterable,
        members: Iterable,
        digits: int = 3,
        weights: pd.Series | None = None,
    ) -> ShareCell:
        levels, members = frozenset(levels), frozenset(members)
        answered_levels = frozenset(v for v in self.levels[item] if v is not None)
        mem = sorted(members, key=str)
        a = self._value(item, answered_levels, members)
        x = self._value(item, levels, members)
        w = np.ones(len(mem)) if weights is None else weights.reindex(mem).to_numpy(dtype=float)
        value = float((w * x).sum() / (w * a).sum()) if (w * a).sum() > 0 else float("nan")
        cell = ShareCell(
            table,
            label,
            item,
            levels,
            members,
            round(value, digits) if value == value else value,
            digits,
            None if weights is None else dict(zip(mem, w)),
            answered_levels,
        )
        if weights is not None:
            cell.count = int(x.sum())
            cell.answered = frozenset(u for u, ai in zip(mem, a) if ai > 0)
        self.cells.append(cell)
        return cell

    def publish_all(self) -> None:
        """Engine off: every cell shown as computed (what a build without the engine releases)."""
        for cell in self.cells:
            cell.shown = str(cell.value)

    # -- protection ---------------------------------------------------------------------------------------------
    def primary(self) -> None:
        for cell in self.cells:
            if cell.frozen:
                continue
            if isinstance(cell, CountCell):
                total = len(cell.members)
                answered = frozenset(v for v in self.levels[cell.item] if v is not None)
                if 0 < cell.value < MIN_CELL:
                    cell.shown, cell.reason = HIDDEN, f"fewer than {MIN_CELL} units"
                elif total and cell.value == 0 and len(answered) == 2 and len(cell.levels & answered) == 1:
                    # "none of the group said no" = every one of them who answered said yes
                    cell.shown, cell.reason = HIDDEN, "a zero that gives every unit of its group the other answer"
                elif total and cell.levels != answered and 0 <= total - cell.value < MIN_CELL:
                    cell.shown, cell.reason = HIDDEN, f"all but fewer than {MIN_CELL} units of its group"
                else:
                    cell.shown = str(cell.value)
        for cell in self.cells:
            if isinstance(cell, ShareCell) and not cell.frozen:
                n_answered = int(self._value(cell.item, cell.answered_levels, cell.members).sum())
                k = int(self._value(cell.item, cell.levels, cell.members).sum())
                binary_zero = k == 0 and len(cell.answered_levels) == 2  # everyone answered the other way
                if n_answered < MIN_CELL or 0 < k < MIN_CELL or 0 <= n_answered - k < MIN_CELL or binary_zero:
                    cell.shown, cell.reason = HIDDEN, f"a share of fewer than {MIN_CELL} units, or of all but that"
                elif cell.weights is not None and pinned_classes(cell):
                    cell.shown, cell.reason = (
                        HIDDEN,
                        "a weighted share that pins how many of a weighting class answered so",
                    )
                else:
                    cell.shown = f"{cell.value:.{cell.digits}f}"

    def protect(self, max_rounds: int = 500, seed: int = 0) -> AuditResult:
        """Primary suppression, then secondary suppression until the audit finds no determined answer and no
        recomputable suppressed count.

        Each round takes the first problem the audit reports and hides one more released cell of the same item
        that shares units with it: the smallest one whose hiding resolves the problem (tried in order of value,
        shares first), or, when no single cell does, the smallest one."""
        self.primary()
        return self.secondary(max_rounds, seed)

    def secondary(self, max_rounds: int = 500, seed: int = 0) -> AuditResult:
        """Secondary suppression alone: the cells not frozen are candidates, the rest stay as shown (the build's
        protection across chapters starts here from what each chapter released)."""
        # items with a cell still to decide: frozen cells were audited when their table was released
        open_items = {c.item for c in self.cells if not c.frozen}
        carry: dict = {}  # each item's solutions so far: each round only hides, so they stay solutions
        for _ in range(max_rounds):
            result = audit(self, seed=seed, items=open_items, carry=carry)
            if result.passed:
                return result
            if result.pinned_classes and not result.determined and not result.recomputable:
                for table, label in result.pinned_classes:  # the class rule: the share itself goes
                    cell = next(c for c in self.cells if c.table == table and c.label == label)
                    cell.shown, cell.reason = (
                        HIDDEN,
                        "a weighted share that pins how many of a weighting class answered so",
                    )
                continue
            # weighted shares are not rows of the integer program (the class rule covers them): hiding one
            # cannot resolve what the program found
            in_program = [c for c in self.cells if c.released and not c.frozen and getattr(c, "weights", None) is None]
            if result.determined:
                unit, item, level = result.determined[0]
                candidates = [c for c in in_program if c.item == item and unit in c.members]
                program = _ItemProgram(self, item)

                def still(c, unit=unit, level=level, program=program) -> bool:
                    return program.without(c).pins_unit(unit, level)
            else:
                table, label, value = result.recomputable[0]
                target = next(c for c in self.cells if c.table == table and c.label == label)
                # any cell of the item: a hidden band is pinned through a margin whose other cells share no unit
                candidates = [c for c in in_program if c.item == target.item]
                program = _ItemProgram(self, target.item)

                def still(c, target=target, program=program, value=value) -> bool:
                    return program.without(c).pins_cell(target, value)

            if not candidates:  # nothing released pins it any more: the domain alone does (cannot be helped)
                return result
            candidates.sort(
                key=lambda c: (isinstance(c, CountCell), c.value if isinstance(c, CountCell) else 0, len(c.members))
            )
            pick = candidates[0]
            for c in candidates[:12]:
                shown = c.shown
                c.shown = HIDDEN
                resolved = not still(c)
                c.shown = shown
                if resolved:
                    pick = c
                    break
            pick.shown, pick.reason = HIDDEN, "secondary: would let a suppressed number or an answer be recomputed"
        return audit(self, seed=seed, items=open_items, carry=carry)

    def freeze(self) -> None:
        """Mark every cell as published: later protection leaves them as they are."""
        for cell in self.cells:
            cell.frozen = True

    def records(self) -> list[dict]:
        """The released cells as plain data for the build's audit (counts only; shares as released)."""
        out = []
        for c in self.cells:
            if getattr(c, "context", False):
                continue  # not released by this chapter: the audit takes what the other chapter released
            rec = {
                "table": c.table,
                "cell": c.label,
                "item": c.item,
                "levels": sorted(c.levels, key=str),
                "members": sorted(c.members, key=str),
                "shown": c.shown,
                "reason": c.reason,
            }
            if isinstance(c, ShareCell):
                rec.update(kind="share", digits=c.digits, weights=c.weights)
                if c.weights is not None:  # private: the class rule's attacker is assumed to know them
                    rec.update(count=c.count, answered=sorted(c.answered or (), key=str))
            out.append(rec)
        return out

    @classmethod
    def from_records(cls, records: list[dict], levels: dict[str, Sequence]) -> Release:
        """A release rebuilt from ``records`` (several chapters' cells) for the audit: the answers are unknown."""
        units = sorted({m for r in records for m in r["members"]}, key=str)
        items = sorted({r["item"] for r in records})
        release = cls(pd.DataFrame(index=pd.Index(units), columns=items, dtype=object), levels)
        for r in records:
            common = dict(levels=frozenset(r["levels"]), members=frozenset(r["members"]), shown=r["shown"])
            if r.get("kind") == "share":
                answered = frozenset(v for v in release.levels[r["item"]] if v is not None)
                cell = ShareCell(r["table"], r["cell"], r["item"], value=float("nan"), digits=int(r["digits"]),
                                 weights=r.get("weights"), answered_levels=answered, **common)  # fmt: skip
                if r.get("weights") is not None:
                    cell.count = r.get("count")
                    cell.answered = frozenset(r.get("answered") or ())
            else:
                cell = CountCell(r["table"], r["cell"], r["item"], value=-1, **common)
            cell.reason, cell.frozen = r.get("reason", ""), True
            release.cells.append(cell)
        return release

    def report(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "table": c.table,
                    "cell": c.label,
                    "item": c.item,
                    "kind": "count" if isinstance(c, CountCell) else "share",
                    "units in group": len(c.members),
                    "shown": c.shown,
                    "reason": c.reason,
                }
                for c in self.cells
            ]
        )


# ------------------------------------------------------------------------------------------------------------------
# The audit
# ------------------------------------------------------------------------------------------------------------------


def _item_program(release: Release, item: str):
    """Variables x[u, l] (binary, unit u at level l) and the released constraints on them, as dense arrays."""
    units = list(release.answers.index)
    levels = release.levels[item]
    index = {(u, lev): i for i, (u, lev) in enumerate((u, lev) for u in units for lev in levels)}
    n = len(index)
    rows, lo, hi = [], [], []
    cell_rows: dict[int, list[int]] = {}  # id(cell) -> its rows (for a program without that cell)
    # one level each
    for u in units:
        r = np.zeros(n)
        for lev in levels:
            r[index[(u, lev)]] = 1
        rows.append(r)
        lo.append(1)
        hi.append(1)
    for cell in release.cells:
        if cell.item != item or cell.shown is None:
            continue
        if isinstance(cell, CountCell):
            r = np.zeros(n)
            for u in cell.members:
                for lev in cell.levels:
                    if (u, lev) in index:
                        r[index[(u, lev)]] = 1
            if cell.shown == SMALL:
                cell_rows[id(cell)] = [len(rows)]
                rows.append(r)
                lo.append(1)
                hi.append(MIN_CELL - 1)
            elif cell.shown in (HIDDEN, OPAQUE):
                continue  # one mark for every suppressed cell: it says nothing about the value
            else:
                cell_rows[id(cell)] = [len(rows)]
                rows.append(r)
                lo.append(float(cell.shown))
                hi.append(float(cell.shown))
        elif cell.released and cell.shown is not None and cell.weights is None:
            # |sum w x - s sum w a| <= d sum w a, with d the rounding half-width (an unweighted share: w = 1)
            s, d = float(cell.shown), 0.5 * 10 ** (-cell.digits)
            r_lo, r_hi = np.zeros(n), np.zeros(n)
            for u in cell.members:
                w = 1.0 if cell.weights is None else float(cell.weights[u])
                for lev in levels:
                    if (u, lev) not in index:
                        continue
                    x = 1.0 if lev in cell.levels else 0.0
                    a = 1.0 if lev in cell.answered_levels else 0.0
                    r_lo[index[(u, lev)]] += w * (x - (s - d) * a)
                    r_hi[index[(u, lev)]] += w * (x - (s + d) * a)
            cell_rows[id(cell)] = [len(rows), len(rows) + 1]
            rows.append(r_lo)
            lo.append(-1e-9)
            hi.append(np.inf)
            rows.append(r_hi)
            lo.append(-np.inf)
            hi.append(1e-9)
    A = np.array(rows) if rows else np.zeros((0, n))
    return units, levels, index, A, np.array(lo, dtype=float), np.array(hi, dtype=float), n, cell_rows


#: How much work HiGHS may spend on one integer program: a count of branch-and-bound nodes, which makes the audit's
#: outcome the same on an idle and on a loaded machine. (A wall-clock limit of 2 s did not: at load 10 on two
#: cores, programs of 0.3 CPU s ran out of time, and the same confidential build failed its audit once and passed
#: it once.) The largest program of a confidential build of the default replica took 377 nodes and 0.65 CPU s.
#: A question not settled within the limit counts against the release
#: (an answer or a count the audit could not show to be open is treated as determined): the audit never passes
#: by giving up.
NODE_LIMIT = 20_000
#: A wall-clock safety net only (one pathological program must not hold a build for ever); the node limit is
#: expected to stop a program long before it.
TIME_LIMIT = 120.0
#: Objectives only steer which solution the solver returns (a random one, for another witness): any solution is
#: as good as an optimal one, so the solver stops at its first (an optimality gap it always meets). Without this,
#: a steered program ran to optimality for minutes once the wall-clock limit no longer cut it short.
_LIMITS = {"node_limit": NODE_LIMIT, "time_limit": TIME_LIMIT, "mip_rel_gap": 1e30}
#: How many programs steer every respondent still seen at one level away from it, before each gets its own.
MOVE_ALL_TRIES = 3


class _ItemProgram:
    """The attacker's integer program for one item, asked feasibility questions: "is there a solution in which
    ...?" (two different solutions prove a value open; infeasibility proves it determined)."""

    def __init__(self, release: Release, item: str):
        from scipy.sparse import csr_array

        built = _item_program(release, item)
        self.units, self.levels, self.index, A, self.lo, self.hi, self.nvar, self.cell_rows = built
        self.A = csr_array(A)  # sparse once: scipy's milp would convert the dense matrix for every program
        self.programs = 0
        self.undecided = 0

    def without(self, cell) -> _ItemProgram:
        """The same program with ``cell`` hidden (its rows left out): secondary suppression tries candidates on
        one program built per round instead of building one per candidate."""
        other = object.__new__(_ItemProgram)
        other.__dict__.update(self.__dict__)
        drop = self.cell_rows.get(id(cell), [])
        if drop:
            keep = np.setdiff1d(np.arange(self.A.shape[0]), drop)
            other.A, other.lo, other.hi = self.A[keep], self.lo[keep], self.hi[keep]
        other.programs = other.undecided = 0
        return other

    def pins_unit(self, unit, level) -> bool:
        return not self.unit_open(unit, level)

    def pins_cell(self, cell, value: int | None = None) -> bool:
        """Is the count ``cell`` the same in every solution? ``value``: its value in a known solution (spares the
        program that would find one)."""
        if value is None:
            x, _ = self.solve()
            if x is None:
                return True
            value = self.cell_value(x, cell)
        return not self.cell_open(cell, value)

    def _vector(self, cell) -> np.ndarray:
        c = np.zeros(self.nvar)
        for u in cell.members:
            for lev in cell.levels:
                if (u, lev) in self.index:
                    c[self.index[(u, lev)]] = 1.0
        return c

    def solve(self, objective=None, row=None, row_lo=-np.inf, row_hi=np.inf, fix_zero=None):
        """A solution (or None) of the released constraints, plus ``row_lo <= row x <= row_hi`` and
        ``x[fix_zero] = 0``; ``objective`` only steers which solution. Returns (x, settled)."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        self.programs += 1
        A, lo, hi = self.A, self.lo, self.hi
        if row is not None:
            from scipy.sparse import csr_array, vstack

            A, lo, hi = (
                vstack([A, csr_array(row.reshape(1, -1))], format="csr"),
                np.append(lo, row_lo),
                np.append(hi, row_hi),
            )
        upper = np.ones(self.nvar)
        if fix_zero is not None:
            upper[fix_zero] = 0.0
        res = milp(
            np.zeros(self.nvar) if objective is None else objective,
            constraints=LinearConstraint(A, lo, hi),
            integrality=np.ones(self.nvar),
            bounds=Bounds(np.zeros(self.nvar), upper),
            options=_LIMITS,
        )
        x = res.x if res.x is not None and res.status in (0, 1) else None
        settled = res.status in (0, 2) or x is not None  # 2: infeasible (a proof); 1 with x: a solution found
        if not settled:
            self.undecided += 1
        return x, settled

    def unit_open(self, unit, level) -> bool:
        """Is there a solution with ``unit`` at a level other than ``level``?"""
        x, _ = self.solve(fix_zero=self.index[(unit, level)])
        return x is not None

    def cell_value(self, x, cell) -> int:
        return int(round(self._vector(cell) @ x))

    def cell_open(self, cell, value: int) -> bool:
        """Is there a solution in which the count ``cell`` differs from ``value``?"""
        return self.other_value(cell, value) is not None

    def other_value(self, cell, value: int):
        """A solution in which the count ``cell`` differs from ``value``, or None when there is none."""
        c = self._vector(cell)
        below, _ = self.solve(row=c, row_hi=value - 0.5)
        if below is not None:
            return below
        above, _ = self.solve(row=c, row_lo=value + 0.5)
        return above


def pinned_classes(cell: ShareCell, tries: int = 4, seed: int = 0) -> list[float]:
    """The class rule for a weighted share: the weights of the weighting classes whose count of units in the
    cell's levels is the same in every assignment consistent with the share as published (rounded to its
    digits) and with the cell's count.

    Units of one weighting class are interchangeable to an attacker, so the share says no more than how many of
    each class are in the levels; a class whose count is pinned is a finer table than the one published (and a
    pinned class of one unit, or one pinned at 0 or its size, gives answers away). The attacker is assumed to know
    the count and who answered, the safe side. A small integer program over the class counts (one variable per
    class): solutions with random objectives are witnesses, and a class without two witnessed counts gets its own
    program. Not settled within the solver's limits counts as pinned."""
    if cell.count is None or not cell.answered or cell.weights is None:
        return []
    if cell.checked is not None and cell.checked[0] == cell.shown:
        return cell.checked[1]
    cell.checked = (cell.shown, _pinned_classes(cell, tries, seed))
    return cell.checked[1]


def _pinned_classes(cell: ShareCell, tries: int, seed: int) -> list[float]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    share = float(cell.shown) if cell.shown not in (None, SMALL, HIDDEN, OPAQUE) else float(cell.value)
    weights = np.array([float(cell.weights[u]) for u in sorted(cell.answered, key=str)])
    classes, sizes = np.unique(np.round(weights, 9), return_counts=True)
    total, half = float(weights.sum()), 0.5 * 10.0 ** (-cell.digits)
    A = np.vstack([np.ones(len(classes)), classes])
    lo = np.array([cell.count, (share - half) * total - 1e-9])
    hi = np.array([cell.count, (share + half) * total + 1e-9])
    rng = np.random.default_rng(seed)

    def solve(objective, extra=None):
        a, low, high = A, lo, hi
        if extra is not None:
            a, low, high = np.vstack([A, extra[0]]), np.append(lo, extra[1]), np.append(hi, extra[2])
        res = milp(objective, constraints=LinearConstraint(a, low, high), integrality=np.ones(len(classes)),
                   bounds=Bounds(np.zeros(len(classes)), sizes.astype(float)), options=_LIMITS)  # fmt: skip
        if res.status == 2:
            return None, True
        return (np.round(res.x) if res.x is not None else None), res.x is not None

    seen = [set() for _ in classes]
    for i in range(tries + 1):
        x, _ = solve(np.zeros(len(classes)) if i == 0 else rng.normal(size=len(classes)))
        if x is None:
            return list(classes)  # no assignment found within the limits: nothing shown to be open
        for j, v in enumerate(x):
            seen[j].add(int(v))
    pinned = []
    for j in range(len(classes)):
        if len(seen[j]) > 1:
            continue
        (value,) = seen[j]
        row = np.zeros(len(classes))
        row[j] = 1.0
        below, _ = solve(np.zeros(len(classes)), (row, -np.inf, value - 0.5)) if value > 0 else (None, True)
        above = None
        if below is None:
            above, _ = solve(np.zeros(len(classes)), (row, value + 0.5, np.inf)) if value < sizes[j] else (None, True)
        other = below if below is not None else above
        if other is None:
            pinned.append(float(classes[j]))
            continue
        for k, v in enumerate(other):  # a witness for the later classes too: spares their programs
            seen[k].add(int(v))
    return pinned


class _Witnesses:
    """The solutions of one item's program found so far, and which levels each respondent takes in them.

    Secondary suppression only ever hides cells, which removes constraints: every solution of a round is still a
    solution in the next. Carried from round to round (``audit(..., carry=...)``), they spare the programs that
    would find again what is already known to be open; what is determined is the same either way (a matter of
    the constraints, not of which witnesses were found first)."""

    def __init__(self, n_units: int, n_levels: int):
        self.levels_seen = np.zeros((n_units, n_levels), dtype=bool)
        self.solutions: list[np.ndarray] = []

    def note(self, x: np.ndarray) -> None:
        taken = x > 0.5
        self.levels_seen |= taken.reshape(self.levels_seen.shape)  # variables are unit-major (``_item_program``)
        self.solutions.append(taken)

    def values(self, c: np.ndarray) -> set[int]:
        """The values the count with indicator vector ``c`` takes over the solutions found."""
        if not self.solutions:
            return set()
        return set(np.rint(np.vstack(self.solutions).astype(float) @ c).astype(int).tolist())


def _audit_item(release: Release, item: str, rng, random_solutions: int, carried: _Witnesses | None = None) -> dict:
    program = _ItemProgram(release, item)
    units, levels, index = program.units, program.levels, program.index
    found_before = carried is not None and bool(carried.solutions)
    witnesses = carried if found_before else _Witnesses(len(units), len(levels))
    if not found_before:
        first, _ = program.solve()
        if first is None:
            raise ValueError(f"item {item!r}: the released numbers admit no answers (the constraints are wrong)")
        witnesses.note(first)
        for _ in range(random_solutions):
            x, _ = program.solve(objective=rng.normal(size=program.nvar))
            if x is not None:
                witnesses.note(x)
    # Before a program per respondent seen at one level only: programs that steer as many of them as they can
    # away from that level (when all answer alike, a few of these replace hundreds of programs).
    for _ in range(MOVE_ALL_TRIES):
        alone = np.flatnonzero(witnesses.levels_seen.sum(axis=1) == 1)
        if len(alone) < 2:
            break
        objective = np.zeros(program.nvar)
        for k in alone:
            objective[index[(units[k], levels[int(np.flatnonzero(witnesses.levels_seen[k])[0])])]] = 1.0
        x, _ = program.solve(objective=objective)
        if x is None:
            break
        witnesses.note(x)
        if (witnesses.levels_seen[alone].sum(axis=1) == 1).all():
            break  # nobody moved: the rest get a program each
    found = []
    for k, u in enumerate(units):
        if witnesses.levels_seen[k].sum() > 1:
            continue
        lev = levels[int(np.flatnonzero(witnesses.levels_seen[k])[0])]
        x, _ = program.solve(fix_zero=index[(u, lev)])
        if x is not None:
            witnesses.note(x)
        else:
            found.append((u, item, lev))  # infeasible, or not settled within the limits: counted as determined
    # every suppressed count: can the attacker pin its value (the same in every solution)?
    pinned = []
    # a hidden count that another table releases as it is (same item, levels and group: an "all" row twice) is
    # published there: finding it again here discloses nothing new
    published = {
        (c.levels, c.members) for c in release.cells if c.item == item and isinstance(c, CountCell) and c.released
    }
    # a hidden count of the units that answered at all (every answer level) says who answered, not what: pinning
    # it discloses no answer (the group itself is known to the attacker by assumption)
    answered_levels = frozenset(v for v in release.levels[item] if v is not None)
    for cell in release.cells:
        if cell.item != item or not isinstance(cell, CountCell) or cell.released or cell.shown is None:
            continue
        if (cell.levels, cell.members) in published or cell.levels == answered_levels:
            continue
        values = witnesses.values(program._vector(cell))
        if len(values) > 1:
            continue
        (value,) = values
        other = program.other_value(cell, value)
        if other is not None:
            witnesses.note(other)
        else:
            pinned.append((cell.table, cell.label, value))
    return {
        "found": found,
        "pinned": pinned,
        "programs": program.programs,
        "undecided": program.undecided,
        "constraints": int(program.A.shape[0]),
        "unknowns": len(units) * len(levels),
        "respondents": len(units),
        "witnesses": witnesses,
    }


def audit(
    release: Release, seed: int = 0, random_solutions: int = 6, items=None, carry: dict | None = None
) -> AuditResult:
    """Which respondents' answers, and which suppressed counts, the released numbers determine (module docstring).

    ``carry``: a dict kept by the caller between audits of the same release in which cells were only hidden since
    (secondary suppression): each item's solutions found so far, which stay solutions (``_Witnesses``)."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    determined, recomputable, by_item = [], [], {}
    n_constraints = n_unknowns = n_ip = 0
    items = sorted(set(items) if items is not None else {c.item for c in release.cells if c.shown is not None})
    pinned_cells = [
        (c.table, c.label)
        for c in release.cells
        if isinstance(c, ShareCell) and c.weights is not None and c.released and c.shown is not None
        and c.item in items and pinned_classes(c)
    ]  # fmt: skip
    for item in items:
        out = _audit_item(release, item, rng, random_solutions, None if carry is None else carry.get(item))
        if carry is not None:
            carry[item] = out["witnesses"]
        determined += out["found"]
        recomputable += out["pinned"]
        n_constraints += out["constraints"]
        n_unknowns += out["unknowns"]
        n_ip += out["programs"]
        by_item[item] = {
            "respondents": out["respondents"],
            "constraints": out["constraints"],
            "determined": len(out["found"]),
            "recomputable": len(out["pinned"]),
            "integer programs": out["programs"],
            "not settled within the limits": out["undecided"],
        }
    return AuditResult(
        determined=determined,
        recomputable=recomputable,
        items=len(items),
        unknowns=n_unknowns,
        constraints=n_constraints,
        integer_programs=n_ip,
        seconds=time.perf_counter() - start,
        by_item=by_item,
        pinned_classes=pinned_cells,
    )


# ------------------------------------------------------------------------------------------------------------------
# Precision
# ------------------------------------------------------------------------------------------------------------------

#: Significant digits of any other statistic a confidential table publishes (a coefficient, a p-value, a test
#: statistic): enough to read, too few to invert into the weighted sums behind it.
STATISTIC_DIGITS = 3


def share_like(column: str) -> tuple[bool, bool]:
    """(is a share or its interval, is in percent) from the column's name."""
    name = str(column).lower()
    percent = "%" in name
    share = percent or "share" in name or name.startswith("ci_") or "ci_low" in name or "ci_high" in name
    return share, percent


def coarse_number(value: float, share: bool) -> float:
    """One number at the precision a confidential run publishes it (the scalar form of :func:`coarsen`'s rule)."""
    if not np.isfinite(value) or value == 0:
        return value
    if share:
        return round(value, WEIGHTED_SHARE_DIGITS)
    return round(value, STATISTIC_DIGITS - 1 - int(np.floor(np.log10(abs(value)))))


def coarsen(table: pd.DataFrame, keep: Iterable[str] = ()) -> pd.DataFrame:
    """A confidential table's numbers at the precision they may be published with.

    Shares, percentages and their interval bounds go out in whole percent points (``WEIGHTED_SHARE_DIGITS``
    places of a proportion), any other non-integer statistic at ``STATISTIC_DIGITS`` significant digits; counts,
    integers, text and the columns in ``keep`` are left as they are. A weighted share to six digits gives back the
    count of each weighting class behind it (see ``WEIGHTED_SHARE_DIGITS``), and the other statistics of a small
    group are functions of the same sums."""
    out = table.copy()
    keep = set(keep)
    for column in out.columns:
        if column in keep:
            continue
        values = pd.to_numeric(out[column], errors="coerce")
        numeric = values.notna()
        if not numeric.any() or not pd.api.types.is_float_dtype(values):
            continue
        finite = values[numeric]
        if np.allclose(finite, np.round(finite)) and not share_like(column)[0]:
            continue  # integers stored as floats (a count with a missing value)
        share, percent = share_like(column)
        if share:
            rounded = values.round(WEIGHTED_SHARE_DIGITS - (2 if percent else 0))
        else:
            magnitude = np.floor(np.log10(np.abs(values.where(values != 0, 1.0))))
            factor = 10.0 ** (STATISTIC_DIGITS - 1 - magnitude)
            rounded = np.round(values * factor) / factor
        out[column] = out[column].astype(object)
        out.loc[numeric, column] = rounded[numeric].astype(float)
    return out
