"""The lexicon kept on disk (inscope_clinical.compiled_cache): read back, it reads every
text as the lexicon compiled from the package data does; it is named by everything it is
compiled from; and only a private file of this user's is ever read."""

from __future__ import annotations

import datetime as dt
import io
import os
import pickle
import shutil
from pathlib import Path

import phrase_yaml
import pytest

from inscope_clinical import compiled_cache, free_text

TUNING = Path(__file__).parent / "phrases" / "tuning"
AS_OF = dt.date(2026, 12, 1)


def _tuning_sample(every: int = 10) -> list[str]:
    phrases: list[str] = []
    for path in sorted(TUNING.glob("*.yaml")):
        doc = phrase_yaml.load(path)
        phrases += (doc.get("positives") or []) + (doc.get("negatives") or [])
    return phrases[::every]


def test_a_kept_lexicon_reads_every_text_as_the_compiled_one(monkeypatch):
    compiled = free_text._compiled()
    kept = _read_back(compiled)
    assert kept is not None and kept is not compiled
    assert _alternatives_by_source(kept) == _alternatives_by_source(compiled)
    texts = _tuning_sample()

    def reads(lex: free_text.Lexicon) -> list[object]:
        monkeypatch.setattr(free_text, "lexicon", lambda: lex)
        return [free_text.read(text, "notes", as_of=AS_OF) for text in texts]

    from_compiled = reads(compiled)
    assert sum(1 for mentions, _ in from_compiled if mentions) > len(texts) // 3
    assert reads(kept) == from_compiled


def _alternatives_by_source(lex: free_text.Lexicon) -> list[tuple[str, tuple[str, ...], int]]:
    """Each word-list pattern (by its source) with its alternatives' sources and bits:
    the id()-keyed map read back must pair them as the compiled one does."""
    patterns = free_text.word_list_patterns(lex)
    return sorted((patterns[i].pattern, tuple(a.sources), a.shift)
                  for i, a in lex.alternatives.items())


def _read_back(lex: free_text.Lexicon) -> free_text.Lexicon | None:
    kept = free_text._to_keep(lex)
    assert kept is not None
    out = io.BytesIO()
    free_text._LexiconPickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(kept)
    return free_text._unpickled(out.getvalue())


def test_bytes_that_are_not_a_kept_lexicon_are_compiled_again():
    assert free_text._unpickled(b"not a pickle") is None
    assert free_text._unpickled(b"") is None


@pytest.fixture
def package_copy(tmp_path, monkeypatch) -> Path:
    copy = tmp_path / "package"
    copy.mkdir()
    here = Path(compiled_cache.__file__).parent
    for path in [*here.glob("*.py"), *here.glob("*.json")]:
        shutil.copy(path, copy / path.name)
    monkeypatch.setattr(compiled_cache, "_PACKAGE", copy)
    return copy


def test_the_name_changes_with_any_code_or_data_file_of_the_package(package_copy):
    first = compiled_cache.name("lexicon")
    assert compiled_cache.name("lexicon") == first
    lexicon_file = package_copy / free_text.LEXICON_FILE
    lexicon_file.write_text(lexicon_file.read_text(encoding="utf-8") + " ", encoding="utf-8")
    second = compiled_cache.name("lexicon")
    assert second != first
    (package_copy / "startset.py").write_text("# changed\n", encoding="utf-8")
    assert compiled_cache.name("lexicon") not in (first, second)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(compiled_cache.ENV, str(where))
    return where


def _write(file_name: str, data: bytes) -> None:
    compiled_cache.write(file_name, lambda out: out.write(data))


def _read(file_name: str) -> bytes | None:
    return compiled_cache.read(file_name, bytes)


def test_what_is_written_is_read_back_from_a_private_directory(cache_dir):
    _write("x.pickle", b"kept")
    assert _read("x.pickle") == b"kept"
    assert os.stat(cache_dir).st_mode & 0o777 == 0o700
    assert os.stat(cache_dir / "x.pickle").st_mode & 0o777 == 0o600
    assert [p.name for p in cache_dir.iterdir()] == ["x.pickle"]  # no temporary left


def test_a_file_or_directory_others_may_write_is_never_read(cache_dir):
    _write("x.pickle", b"kept")
    os.chmod(cache_dir / "x.pickle", 0o666)
    assert _read("x.pickle") is None
    os.chmod(cache_dir / "x.pickle", 0o600)
    os.chmod(cache_dir, 0o777)
    assert _read("x.pickle") is None
    _write("y.pickle", b"kept")  # nor written there
    assert not (cache_dir / "y.pickle").exists()


def test_off_keeps_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv(compiled_cache.ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compiled_cache.directory() is None
    _write("x.pickle", b"kept")
    assert _read("x.pickle") is None
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_or_an_unmakeable_directory_is_no_error(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(compiled_cache.ENV, str(blocker / "cache"))
    _write("x.pickle", b"kept")
    assert _read("x.pickle") is None


def test_the_newest_copies_of_a_kind_are_kept_and_older_ones_removed(cache_dir):
    for n in range(compiled_cache.KEEP + 2):
        _write(f"lexicon-{n}.pickle", b"kept")
        os.utime(cache_dir / f"lexicon-{n}.pickle", (1_000_000 + n, 1_000_000 + n))
    _write("other-0.pickle", b"kept")
    _write("lexicon-new.pickle", b"kept")
    left = sorted(p.name for p in cache_dir.iterdir())
    newest = [f"lexicon-{n}.pickle" for n in range(3, compiled_cache.KEEP + 2)]
    assert left == sorted(["lexicon-new.pickle", "other-0.pickle", *newest])


def test_an_empty_file_is_nothing_kept(cache_dir):
    _write("x.pickle", b"")
    assert _read("x.pickle") is None
