"""``python -m bench.engine_ab [REV]``: screen() of this tree against git revision REV
(default ``main``), in one process, alternated.

The machine these benches run on is shared and noisy: two runs of ``make bench-engine``
a minute apart differ by 10 % or more. This puts both engines in the same process (REV's
``lib/inscope_clinical`` is extracted with ``git archive`` and imported as
``inscope_clinical_ab``), checks that both give the same result for every example
document, then measures them in turn, ``--rounds`` times, swapping which goes first, and
prints the median rate of each row (CPU time, as bench.engine) and the ratio:
"repeated" (screen() over the documents in turn), "free text never seen" (the text
cache emptied before every call) and, for this tree, "nothing kept" (every memo of
inscope_clinical.memo emptied too).
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.engine import AS_OF, ROOT, documents, rate

OLD = "inscope_clinical_ab"


def extract(rev: str, into: Path) -> ModuleType:
    """REV's engine, importable as ``inscope_clinical_ab``."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "lib/inscope_clinical"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    package = into / "lib" / "inscope_clinical"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\binscope_clinical\b", OLD, text), encoding="utf-8")
    package.rename(into / OLD)
    sys.path.insert(0, str(into))
    return importlib.import_module(OLD)


def runs(engine: ModuleType) -> dict[str, Callable[[dict[str, Any]], object]]:
    free_text = importlib.import_module(f"{engine.__name__}.free_text")
    try:
        memo: ModuleType | None = importlib.import_module(f"{engine.__name__}.memo")
    except ImportError:
        memo = None
    screen, forget = engine.screen, free_text.forget_texts

    def repeated(doc: dict[str, Any]) -> object:
        return screen(doc, as_of=AS_OF)

    def never_seen(doc: dict[str, Any]) -> object:
        forget()
        return screen(doc, as_of=AS_OF)

    found = {"repeated": repeated, "free text never seen": never_seen}
    if memo is not None:
        forget_all = memo.forget_all

        def nothing_kept(doc: dict[str, Any]) -> object:
            forget()
            forget_all()
            return screen(doc, as_of=AS_OF)

        found["nothing kept"] = nothing_kept
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_ab")
    parser.add_argument("rev", nargs="?", default="main")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.5, help="per row and round")
    parser.add_argument("--decisions-may-differ", action="store_true",
                        help="a lexicon change changes some example decisions: time both "
                             "anyway and say how many differ")
    args = parser.parse_args(argv)
    docs = documents()
    new = importlib.import_module("inscope_clinical")
    with tempfile.TemporaryDirectory() as tmp:
        old = extract(args.rev, Path(tmp))
        differ = 0
        for doc in docs:
            a, b = (json.dumps(e.screen(doc, as_of=AS_OF), sort_keys=True, default=str)
                    for e in (old, new))
            differ += a != b
        if differ and not args.decisions_may_differ:
            print("the two engines decide differently: no comparison")
            return 1
        if differ:
            print(f"{differ} of {len(docs)} example documents decided differently "
                  "(--decisions-may-differ): timed anyway")
        engines = {args.rev: runs(old), "this tree": runs(new)}
        figures: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.rounds):
            order = list(engines) if round_ % 2 == 0 else list(reversed(engines))
            for name in order:
                for row, call in engines[name].items():
                    figures.setdefault((name, row), []).append(rate(call, docs, args.seconds)[0])
    print(f"{len(docs)} example documents, {args.rounds} alternated rounds, medians "
          "(screens per CPU second)")
    for (name, row), values in figures.items():
        print(f"  {name:10} {row:22} {statistics.median(values):>7,.0f}/s   "
              + " ".join(f"{v:,.0f}" for v in values))
    for row in ("repeated", "free text never seen"):
        ratio = (statistics.median(figures["this tree", row])
                 / statistics.median(figures[args.rev, row]))
        print(f"  {row}: this tree / {args.rev} = {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
