"""How a project spells its versions: zero-padded CalVer, ``.dev`` without a number.

PEP 440 compares ``2026.08.17`` and ``2026.8.17`` as equal, and ``packaging`` prints the
canonical ``2026.8.17``. A project that writes the padded form wants it kept in its files,
its tags and its changelog headings. `Spelled` is a `Version` that compares canonically
and prints as the project writes it, so every writer downstream keeps the spelling
without knowing about it. Only two liberties are learned: zero-padded release numbers
(per position, from the current version and the tags) and a bare ``.dev`` for ``.dev0``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from packaging.version import InvalidVersion, Version

# A release number written with a leading zero (``2026.08``, ``1.02``): the only thing,
# with a bare ``.dev``, that a sample can teach.
_PADDED: Final = re.compile(r"(?:^|[.!])0[0-9]")


class Spelled(Version):
    """A PEP 440 version that prints in the project's spelling (compares canonically)."""

    __slots__ = ("_spelled",)

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._spelled = text

    def __str__(self) -> str:
        return self._spelled


@dataclass(frozen=True)
class Spelling:
    """The liberties a project takes: padded widths per release position, bare ``.dev``."""

    widths: tuple[int, ...] = ()  # 0 = not padded
    bare_dev: bool = False

    def write(self, version: Version) -> Version:
        """`version` in this spelling (the same object when the spelling is canonical)."""
        release = [
            str(number).zfill(self.widths[index]) if index < len(self.widths) else str(number)
            for index, number in enumerate(version.release)
        ]
        text = f"{version.epoch}!" if version.epoch else ""
        text += ".".join(release)
        if version.pre is not None:
            text += f"{version.pre[0]}{version.pre[1]}"
        if version.post is not None:
            text += f".post{version.post}"
        if version.dev is not None:
            text += ".dev" if self.bare_dev and version.dev == 0 else f".dev{version.dev}"
        if version.local is not None:
            text += f"+{version.local}"
        return version if text == str(Version(text)) else Spelled(text)

    def merge(self, other: Spelling) -> Spelling:
        """Both spellings' liberties (an explicit version's padding joins the project's)."""
        size = max(len(self.widths), len(other.widths))
        mine = (*self.widths, *([0] * (size - len(self.widths))))
        theirs = (*other.widths, *([0] * (size - len(other.widths))))
        return Spelling(
            widths=tuple(max(a, b) for a, b in zip(mine, theirs, strict=True)),
            bare_dev=self.bare_dev or other.bare_dev,
        )

    def describe(self) -> str:
        """For people: what this spelling keeps."""
        kept = []
        padded = [str(index + 1) for index, width in enumerate(self.widths) if width]
        if padded:
            kept.append(f"zero-padded release number(s) at position {', '.join(padded)}")
        if self.bare_dev:
            kept.append("'.dev' without a number")
        return "; ".join(kept) or "canonical PEP 440"


def learn(samples: Iterable[str]) -> Spelling:
    """The spelling shown by `samples` (version texts as written: files, tags w/o prefix)."""
    spelling = Spelling()
    for sample in samples:
        if may_teach(sample):  # most tags are canonical as written: not even parsed
            spelling = spelling.merge(lesson(sample))
    return spelling


def may_teach(sample: str) -> bool:
    """Whether `sample` can show a spelling: a zero-padded number or a bare ``.dev``."""
    return bool(_PADDED.search(sample)) or sample.rstrip().lower().endswith("dev")


def lesson(sample: str) -> Spelling:
    """The spelling one version text shows (canonical when it is not a version)."""
    try:
        version = Version(sample)
    except InvalidVersion:
        return Spelling()
    widths: list[int] = []
    release_text = sample.partition("!")[2] if "!" in sample else sample
    parts = _release_parts(release_text, len(version.release))
    padded = {len(part) for part in parts if len(part) > 1 and part.startswith("0")}
    for index, part in enumerate(parts):
        # A field that shows a leading zero is fixed-width; so are the later fields of
        # the same width in that version (the 17 of 2026.08.17 is a padded day too).
        if (len(part) > 1 and part.startswith("0")) or (index and len(part) in padded):
            widths.extend([0] * (index + 1 - len(widths)))
            widths[index] = max(widths[index], len(part))
    bare_dev = version.dev == 0 and sample.rstrip().lower().endswith("dev")
    return Spelling(widths=tuple(widths), bare_dev=bare_dev)


def _release_parts(text: str, count: int) -> list[str]:
    # The release segment is the leading run of dot-separated digit groups.
    parts: list[str] = []
    for chunk in text.split(".")[:count]:
        digits = ""
        for char in chunk:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(digits)
        if len(digits) != len(chunk):
            break
    return parts
