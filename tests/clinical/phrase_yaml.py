"""The phrase corpus's YAML files (tests/clinical/phrases/), each parsed once per test
process and handed out as a fresh copy.

Several test modules read every tuning file (the corpus score, the perturbation test,
the literal-index tests, the golden results): about 12,000 phrases, 2.7 s each time with
PyYAML's pure-Python loader on a quiet machine, 0.25 s with its libyaml loader, which
gives the same documents for every tuning file. Holdout files (scored by their own test,
never read here) keep the pure-Python loader, as before: their equality under libyaml
is not checked, since nobody looks at them.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

PHRASES = Path(__file__).resolve().parent / "phrases"
FAST_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _parsed(path: Path) -> Any:
    loader = yaml.SafeLoader if "holdout" in path.parts else FAST_LOADER
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def load(path: Path) -> Any:
    """The document of one phrase file, as ``yaml.safe_load`` gives it: a copy of its own
    (callers may change it)."""
    return copy.deepcopy(_parsed(Path(path).resolve()))
