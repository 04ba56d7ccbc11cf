"""Which consultation each comment belongs to, when one run reads the exports of several consultations.

`--consultation NAME` given once names every input; given once per input it names them in order
(`uwagi run gdansk.xlsx sopot.csv --consultation Gdańsk --consultation Sopot`). Names are values, never paths, so
any characters are allowed, "=" and "/" included: that is why the pairing is by position and not a `NAME=FILE` form.
A folder's files all belong to the folder's consultation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import UserError, plural
from pipeline.ingest import source_names
from pipeline.readers import RawTable


def given_names(cfg: Config) -> tuple[str, ...]:
    """The names given (`ExportConfig.consultation`) as a tuple: empty when none was given."""
    given = cfg.export.consultation
    if given is None:
        return ()
    return (given,) if isinstance(given, str) else tuple(given)


def check_consultations(inputs: Sequence[str | Path], cfg: Config) -> None:
    """One name for every input, or one per input: any other count cannot be paired with the inputs."""
    names = given_names(cfg)
    if len(names) > 1 and len(names) != len(inputs):
        raise UserError(f"podano {plural(len(names), 'nazwę', 'nazwy', 'nazw')} konsultacji (--consultation) dla "
                        f"{plural(len(inputs), 'pliku', 'plików', 'plików')} wejściowych; podaj jedną nazwę dla "
                        "wszystkich albo po jednej dla każdego pliku lub katalogu, w ich kolejności")


def _input_of(path: Path, inputs: Sequence[Path]) -> int | None:
    """Index of the input `path` was read from: the file itself, or a folder holding it."""
    for i, given in enumerate(inputs):
        if path == given or given in path.parents:
            return i
    return None


def consultation_by_file(inputs: Sequence[str | Path], tables: Sequence[RawTable], cfg: Config,
                         default: str) -> tuple[str, dict[str, str]]:
    """The name for rows of no listed file (`default`, the taxonomy's, unless one name was given) and, with one
    name per input, the name of each `source_file` of `tables`."""
    names = given_names(cfg)
    if len(names) <= 1:
        return (names[0] if names else default), {}
    paths = [Path(p) for p in inputs]
    read = [t for t in tables if not t.skipped]
    by_file = {}
    for table, source in zip(read, source_names(read)):
        index = _input_of(table.path, paths)
        if index is not None:
            by_file[source] = names[index]
    return default, by_file
