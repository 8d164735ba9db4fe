"""Where the survey answers come from: the synthetic replica or a user's (confidential) file.

A source is named by a structured ``SurveySpec`` (see ``survey_spec``) whose text form is safe to write into
notebooks and the ledger: ``synthetic:<scenario>:<seed>`` or ``file:<name>:<sha256>``.  The path of a real file never enters a
notebook: the runner validates the file once and stores its validated rows under ``data/private/cache``
(git-ignored), keyed by the file's sha256, where the notebooks find them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vsr_analysis import paths
from vsr_analysis.data.checksums import data_checksums, sha256_file
from vsr_analysis.data.survey_spec import SourceError, SurveySpec, parse_spec


@dataclass(frozen=True)
class SurveySource:
    kind: str  # "synthetic" or "file"
    spec: str
    label: str
    data_path: Path  # the file notebooks read (synthetic CSV, or the validated cache)
    # a file source: the file's own sha256, and the column map's name and sha256 when one was used (the spec's
    # sha256 is the file's only for a whole file read without a map; see resolve_source)
    provenance: dict = field(default_factory=dict, compare=False)

    @property
    def parts(self) -> SurveySpec:
        """The spec as structured data (never split the string by hand: a file name may hold colons)."""
        return SurveySpec.parse(self.spec)

    @property
    def confidential(self) -> bool:
        return self.kind == "file"

    def checksums(self) -> dict[str, str]:
        """Checksums of everything a notebook reads besides its template and parameters.

        The run spec itself is left out: a parameter set's own parameters are fingerprinted separately, so
        editing one parameter set must not rerun the others.
        """
        sums = {k: v for k, v in data_checksums().items() if k != "runspec.yml"}
        sums["survey"] = sha256_file(self.data_path)
        return sums


class SurveyInvalidError(SourceError):
    """The survey file exists but its data are invalid (exit code 1, like ``vsr validate``)."""

    def __init__(self, message: str, error=None):
        super().__init__(message)
        self.error = error


def available_scenarios() -> list[str]:
    return sorted(p.stem for p in paths.scenarios_dir().glob("*.yml"))


def cache_path(sha: str) -> Path:
    return paths.private_dir() / "cache" / f"{sha}.csv"


def check_scenario(scenario: str) -> None:
    """Raise ``SourceError`` for a scenario without a file in ``data/scenarios``."""
    if scenario not in available_scenarios():
        raise SourceError(f"unknown scenario {scenario!r}; available: {', '.join(available_scenarios()) or 'none'}")


def synthetic_source(scenario: str, seed: int, path: Path) -> SurveySource:
    """The source of the synthetic replica ``scenario``/``seed`` whose file is ``path`` (made beforehand by
    :func:`vsr_analysis.loading.resolve_source`: generating the replica is a step before loading)."""
    return SurveySource(
        "synthetic",
        str(SurveySpec.synthetic(scenario, seed)),
        f"synthetic replica, scenario {scenario}, seed {seed} (SIMULATED DATA)",
        path,
    )


def resolve_file_source(
    survey: str,
    sheet: str | None = None,
    report_limit: int | None = None,
    survey_map: str | Path | None = None,
) -> SurveySource:
    """Validate a user's survey file before anything runs and store its validated rows in the cache.

    ``survey_map`` is a column map (:mod:`vsr_analysis.data.survey_map`) for the file.  Raises ``SourceError`` for
    an unusable source (missing path, a folder, an unusable map) and ``SurveyInvalidError`` for a file whose data
    are invalid; its message lists at most ``report_limit`` problems (all when None) and counts the rest by kind.
    """
    path = Path(survey)
    if path.is_dir():
        raise SourceError(f"{survey} is a folder, not a survey file: give the path of the CSV or XLSX file")
    if not path.is_file():
        raise SourceError(f"survey file not found: {survey}")
    from vsr_analysis.data.survey_file import SurveyValidationError, load_survey
    from vsr_analysis.data.survey_map import MapError, load_map

    try:
        smap = load_map(survey_map) if survey_map is not None else None
    except MapError as exc:
        raise SourceError(str(exc)) from None
    try:
        loaded = load_survey(path, sheet, survey_map=smap)
    except SurveyValidationError as exc:
        raise SurveyInvalidError(
            f"survey file is invalid ({len(exc.problems)} problem(s)):\n{exc.report(limit=report_limit)}", exc
        ) from None
    except OSError as exc:
        raise SourceError(f"cannot read {survey}: {exc.strerror or exc}") from None
    sha = loaded.sha256
    name = path.name
    if sheet is not None:
        # another sheet of the same workbook is another source: it gets its own key and a name that says so
        import hashlib

        sha = hashlib.sha256(f"{sha}\0sheet\0{sheet}".encode()).hexdigest()
        name = f"{path.name} (sheet {sheet})"
    provenance = {"file_sha256": loaded.sha256}
    if sheet is not None:
        provenance["sheet"] = sheet
    if smap is not None:
        # the same file read through another map is another source, as another sheet is
        import hashlib

        sha = hashlib.sha256(f"{sha}\0map\0{smap.sha256}".encode()).hexdigest()
        name = f"{name} (map {smap.name})"
        provenance.update(map=smap.name, map_sha256=smap.sha256)
    cached = cache_path(sha)
    paths.atomic_write(cached, loaded.data.to_csv(index=False, lineterminator="\n"))
    spec = SurveySpec.file(name, sha)
    return SurveySource("file", str(spec), f"survey file {spec.name} (sha256 {sha[:12]}…)", cached, provenance)


def cached_file_path(spec: str) -> Path:
    """The validated copy of the user's file named by a ``file:`` spec (made by :func:`resolve_file_source`)."""
    parts = parse_spec(spec)
    cached = cache_path(parts["sha256"])
    if not cached.is_file():
        raise SourceError(
            f"no validated copy of {parts['name']} (sha256 {parts['sha256'][:12]}…); "
            "run `vsr run --survey PATH` to validate it"
        )
    return cached
