"""Where each table and key of a TOML text is written: tomllib gives no positions."""

from __future__ import annotations

import json
import re

_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY_PATH = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_KEY_PATH})\s*\]\]?")
_ASSIGNMENT = re.compile(rf"^\s*({_KEY_PATH})\s*=")
_KEY_PART = re.compile(_KEY)


class Locator:
    """Where each table and key is written, found in the raw text (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self._written: dict[tuple[str, ...], int] = {}
        self._implied: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        open_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if open_string is not None:  # inside a multi-line string: nothing here is a key
                if line.count(open_string) % 2 == 1:
                    open_string = None
                continue
            if header := _HEADER.match(line):
                table = _key_parts(header.group(1))
                self._note(table, number)
            elif assignment := _ASSIGNMENT.match(line):
                self._note((*table, *_key_parts(assignment.group(1))), number)
                rest = line[assignment.end() :]
                open_string = next((quote for quote in ('"""', "'''") if rest.count(quote) % 2 == 1), None)

    def _note(self, path: tuple[str, ...], number: int) -> None:
        self._written.setdefault(path, number)
        for end in range(1, len(path)):
            self._implied.setdefault(path[:end], number)

    def line(self, path: tuple[str, ...]) -> int | None:
        """The line that writes `path`, or the nearest enclosing table or key that is written."""
        while path:
            found = self._written.get(path) or self._implied.get(path)
            if found:
                return found
            path = path[:-1]
        return None


def _key_parts(text: str) -> tuple[str, ...]:
    parts = []
    for match in _KEY_PART.finditer(text):
        token = match.group()
        if token.startswith('"'):
            try:
                parts.append(str(json.loads(token)))
            except ValueError:
                parts.append(token[1:-1])
        elif token.startswith("'"):
            parts.append(token[1:-1])
        else:
            parts.append(token)
    return tuple(parts)
