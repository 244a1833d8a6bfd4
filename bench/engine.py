"""``python -m bench.engine``: the clinical engine alone, one process, one core.

Runs ``inscope_clinical.screen()`` (validation, scoring, decision, free-text scan) over
the repository's example documents (``examples/screen-document.json`` and the rule
examples in ``tests/clinical/examples/``: in scope, referrals, free text, contradictions,
clearances, assessments with and without pain) in turn, and prints screens per second
and the mean time per call, with validation alone and the free-text matcher alone
beside it. screen() keeps what the matcher found in the texts it read last (an intake's
words are read again when its assessment is decided): the run cycles through the same
documents, so "free text never seen" gives screen() with that cache emptied before
every call, the figure for a document whose words are new to the process; "nothing
kept" empties every memo of the engine as well (inscope_clinical.memo: the scoring of
the same findings, the program for the same priorities, imbalances and limits), the
figure for a document none of whose parts the process has seen. The bench's
documents hold few and short texts, always the same; "reader, tuning phrases" reads
every tuning phrase of the free-text corpus (``tests/clinical/phrases/tuning*/``, never
holdout/) in turn, thousands of varied texts, after one pass to warm: what a process
that has read much text pays per new one (the figure that showed patterns compiled per
text met costing more than they saved).
``--profile`` prints the top cProfile entries instead (``--fresh``: of the uncached
run).

Rates are per second of this process's CPU time (``time.process_time``), so other load
on the machine slows the run but changes the figures much less than wall time would
(caches and frequency scaling still do): compare runs made on the same machine.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inscope_clinical import screen
from inscope_clinical.free_text import forget_texts, read, texts
from inscope_clinical.memo import forget_all
from inscope_clinical.screen import load_document

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 12, 1)


def documents() -> list[dict[str, Any]]:
    """The example documents, in a fixed order."""
    paths = [ROOT / "examples" / "screen-document.json",
             *sorted((ROOT / "tests" / "clinical" / "examples").glob("*.json"))]
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def rate(call: Callable[[dict[str, Any]], object], docs: list[dict[str, Any]],
         seconds: float) -> tuple[float, int]:
    """Calls per CPU second of ``call`` over ``docs`` in turn for about ``seconds`` of
    CPU time."""
    for doc in docs:  # warm caches (compiled lexicon, schemas)
        call(doc)
    n, start = 0, time.process_time()
    while True:
        for doc in docs:
            call(doc)
        n += len(docs)
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return n / elapsed, n


def phrases() -> list[str]:
    """Every tuning phrase of the free-text corpus (never holdout/), in a fixed order."""
    import yaml  # (a development dependency, as the corpus is; not needed otherwise)

    texts: list[str] = []
    parts = sorted(p for p in (ROOT / "tests" / "clinical" / "phrases").glob("tuning*")
                   if p.is_dir())
    for part in parts:
        for path in sorted(part.glob("*.yaml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            texts += doc["positives"] + doc["negatives"]
    return texts


def _read_phrase(text: str) -> None:
    read(text, as_of=AS_OF)


def _free_text(doc: dict[str, Any]) -> None:
    for field, text in texts(doc["intake"], doc.get("assessment")):
        read(text, field, as_of=AS_OF)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine")
    parser.add_argument("--seconds", type=float, default=3.0, help="per figure")
    parser.add_argument("--profile", action="store_true", help="cProfile screen() instead")
    parser.add_argument("--fresh", action="store_true",
                        help="with --profile: every text read as if new")
    args = parser.parse_args(argv)
    docs = documents()

    def run_screen(doc: dict[str, Any]) -> object:
        return screen(doc, as_of=AS_OF)  # screen() leaves its input alone

    def run_fresh(doc: dict[str, Any]) -> object:
        forget_texts()
        return screen(doc, as_of=AS_OF)

    def run_cold(doc: dict[str, Any]) -> object:
        forget_texts()
        forget_all()
        return screen(doc, as_of=AS_OF)

    if args.profile:
        run = run_fresh if args.fresh else run_screen
        for doc in docs:  # the lexicon compiles once per process: not profiled
            run(doc)
        profiler = cProfile.Profile()
        profiler.enable()
        rate(run, docs, args.seconds)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return 0
    rows = [("screen() with validation", run_screen),
            ("screen(), free text never seen", run_fresh),
            ("screen(), nothing kept", run_cold),
            ("validation alone", load_document),
            ("free-text matcher alone", _free_text)]
    print(f"{len(docs)} example documents, one process")
    for name, call in rows:
        per_s, n = rate(call, docs, args.seconds)
        print(f"  {name:36} {per_s:>9,.0f}/s  {1000 / per_s:7.3f} ms  ({n} calls)")
    texts = phrases()
    per_s, n = rate(_read_phrase, texts, args.seconds)  # type: ignore[arg-type]
    print(f"  {'reader, tuning phrases (per text)':36} {per_s:>9,.0f}/s  {1000 / per_s:7.3f} ms"
          f"  ({n} calls over {len(texts):,} texts)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
