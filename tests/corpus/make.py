"""Regenerate the corpus of messy officer lists under tests/corpus/files/.

    python tests/corpus/make.py

Each case is a function registered with ``@case("name")`` in one of the case modules
(``value_cases.py``: cells an officer writes; ``file_cases.py``: old and odd files). It writes
one or more files into the folder it is given; the first file it returns is the list to read.
The files are committed, so a test reads exactly what a reviewer saw; the tests check that the
committed files equal what this script makes now.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent
FILES = HERE / "files"

sys.path.insert(0, str(HERE))

from registry import CASES  # noqa: E402

import file_cases  # noqa: E402,F401  (registers its cases)
import value_cases  # noqa: E402,F401


def make(target: Path = FILES) -> dict[str, list[Path]]:
    """Write every case into ``target/<case>/``; returns case name → its files."""
    made = {}
    for name, build in sorted(CASES.items()):
        folder = target / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        made[name] = [Path(p) for p in build(folder)]
    return made


if __name__ == "__main__":
    shutil.rmtree(FILES, ignore_errors=True)
    for name, paths in make().items():
        print(name, *(p.relative_to(HERE) for p in paths))
