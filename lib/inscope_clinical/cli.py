"""The ``inscope`` command: ``inscope screen FILE`` (FILE or ``-`` for stdin)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from marshmallow import ValidationError

from .screen import screen


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inscope", description="InScope clinical engine")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("screen", help="screen one JSON document and print the decision")
    run.add_argument("file", help="path to a JSON document, or - for stdin")
    run.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                     help="decision date (YYYY-MM-DD), default today")
    run.add_argument("--table", default="OHSA-T1", choices=("OHSA-T1", "OHSA-T2"),
                     help="compensation table (default OHSA-T1)")
    return parser


def field_messages(messages: Any, prefix: str = "") -> list[str]:
    """Flatten marshmallow's nested error dict into 'path: message' lines."""
    if isinstance(messages, dict):
        lines: list[str] = []
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            lines += field_messages(value, path)
        return lines
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix or '(document)'}: {m}" for m in messages]
    return [f"{prefix or '(document)'}: {messages}"]


def _read(path: str) -> Any:
    if path == "-":
        return json.load(sys.stdin)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        document = _read(args.file)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"inscope: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(document, dict):
        print("inscope: the document must be a JSON object", file=sys.stderr)
        return 2
    try:
        result = screen(document, as_of=args.as_of, table=args.table)
    except ValidationError as exc:
        print("inscope: invalid document:", file=sys.stderr)
        for line in field_messages(exc.messages):
            print(f"  {line}", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0
