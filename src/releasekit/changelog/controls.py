"""Control characters in a changelog: found, with their lines, before anything changes."""

from __future__ import annotations

import bisect
import re
import unicodedata
from typing import Final

from releasekit.changelog.model import Finding

# C0 controls but tab, LF and CR; DEL and C1 controls; a CR not followed by LF. A single
# character class: the search is linear in the text.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def control_characters(text: str) -> list[Finding]:
    """A finding for each line that holds a character git or a terminal would mangle."""
    findings: list[Finding] = []
    starts: list[int] | None = None
    seen: set[int] = set()
    for match in _CONTROL.finditer(text):
        if starts is None:
            starts = [0, *(m.end() for m in re.finditer("\n", text))]
        line = bisect.bisect_right(starts, match.start())
        if line in seen:
            continue
        seen.add(line)
        char = match.group()
        name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "control character")
        findings.append(
            Finding(
                line,
                "error",
                f"control character U+{ord(char):04X} ({name}) would be mangled by git or a "
                "terminal; remove it",
            )
        )
    return findings


_CONTROL_NAMES: Final = {"\x00": "NUL", "\x1b": "ESC", "\r": "CR without LF", "\x7f": "DEL"}
