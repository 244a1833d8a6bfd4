"""This machine's copy of what the engine compiles at start (the free-text lexicon).

Compiling the lexicon takes seconds of CPU (its thousands of patterns are parsed to
find each one's required literals); every process that reads free text did it at start,
and so did every ``inscope screen``. The result is kept here as a pickle, named by a
hash of everything it is compiled from: this package's code and data files, the Python
version and the pickle format's own version below. Any change to one of them names
another file, so a kept copy is never read by code other than the code that wrote it.

Where: ``INSCOPE_COMPILED_CACHE`` (a directory, or ``off``), else
``$XDG_CACHE_HOME/inscope`` or ``~/.cache/inscope``. A pickle runs code when read, so
a file is read only from a directory and a file owned by this user that no one else
may write; anything else (missing, unreadable, not writable) means compiling as
before, never an error.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

ENV = "INSCOPE_COMPILED_CACHE"
KEEP = 4  # copies of one kind (of different code) kept at most
FORMAT = "1"  # raise when what is kept changes shape without a file here changing
_PACKAGE = Path(__file__).parent
T = TypeVar("T")


def directory() -> Path | None:
    """Where kept copies live, or None when keeping is off."""
    chosen = os.environ.get(ENV, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "inscope"


def name(kind: str) -> str:
    """The file name of ``kind`` as this code and Python compile it."""
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0{kind}".encode())
    for path in sorted(_PACKAGE.glob("*.py")) + sorted(_PACKAGE.glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{kind}-{digest.hexdigest()[:32]}.pickle"


def read(file_name: str, load: Callable[[mmap.mmap], T]) -> T | None:
    """``load`` of the kept file's bytes, or None (nothing kept, or not safely ours to
    read). The bytes are the file mapped into memory: no copy of all of it (the lexicon
    is about 12 MB) is made and freed."""
    where = directory()
    if where is None:
        return None
    try:
        if not _private(where):
            return None
        with open(where / file_name, "rb") as kept:
            if not _private(kept.fileno()):
                return None
            with mmap.mmap(kept.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return load(mapped)
    except (OSError, ValueError):  # (ValueError: an empty file cannot be mapped)
        return None


def write(file_name: str, dump: Callable[[BinaryIO], None]) -> None:
    """Keep what ``dump`` writes (atomically: a reader sees all of it or nothing); silent
    when the directory cannot be made or written."""
    where = directory()
    if where is None:
        return
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(where):
            return
        handle, temporary = tempfile.mkstemp(dir=where, prefix=".writing-")  # mode 0600
        try:
            with os.fdopen(handle, "wb") as out:
                dump(out)
            os.replace(temporary, where / file_name)
        except BaseException:
            os.unlink(temporary)
            raise
        _forget_older(where, file_name)
    except OSError:
        return


def _forget_older(where: Path, file_name: str) -> None:
    """Keep the newest KEEP copies of a kind (each code change names a new one; several
    checkouts of different code may share the directory)."""
    kind = file_name.split("-", 1)[0]
    copies = sorted(where.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime,
                    reverse=True)
    for old in copies[KEEP:]:
        old.unlink(missing_ok=True)


def _private(target: Path | int) -> bool:
    """Owned by this user and writable by no one else."""
    found = os.stat(target)
    return found.st_uid == os.getuid() and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
