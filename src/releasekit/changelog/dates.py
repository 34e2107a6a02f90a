"""Release dates in headings: ISO 8601 and dates written in words, read and written."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Final

_ISO_DATE: Final = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")
_WORDS_DATE: Final = re.compile(
    r"(?P<m>[A-Za-z]{3,9})\.? (?P<d>\d{1,2})(?P<th>st|nd|rd|th)?,? (?P<y>\d{4})(?!\d)"
    r"|(?<!\d)(?P<d2>\d{1,2})(?P<th2>st|nd|rd|th)? (?P<m2>[A-Za-z]{3,9})\.?,? (?P<y2>\d{4})(?!\d)"
)
_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DateStyle:
    """How a heading writes its date: text before it, a format, text after it."""

    before: str
    form: str  # "{iso}", or a template such as "{B} {d}, {Y}" for dates in words
    after: str

    def render(self, date: datetime.date) -> str:
        """Write `date` in this style, separators included."""
        return self.before + format_date(date, self.form) + self.after


KAC_DATE: Final = DateStyle(before=" - ", form="{iso}", after="")


def read_date(rest: str) -> tuple[datetime.date | None, DateStyle | None, str | None]:
    """Find the date after a release heading's version: ISO 8601, or written in words."""
    if (usual := _kac_date(rest)) is not None:
        return usual
    iso = _ISO_DATE.search(rest)
    if iso is not None:
        try:
            date = datetime.date.fromisoformat(iso.group())
        except ValueError:
            return None, None, f"{iso.group()!r} is not a valid date"
        return date, _date_style(rest, iso.start(), iso.end(), "{iso}"), None
    for match in _WORDS_DATE.finditer(rest):
        found = _words_date(match)
        if found is not None:
            date, form = found
            return date, _date_style(rest, match.start(), match.end(), form), None
    if any(char.isdigit() for char in rest):
        shown = rest.strip(" -\u2013\u2014()[]")
        return None, None, f"{shown!r} is not an ISO 8601 date (YYYY-MM-DD)"
    return None, None, None


def _kac_date(rest: str) -> tuple[datetime.date | None, DateStyle | None, str | None] | None:
    """Keep a Changelog's own `` - 2024-01-31``, by far the most common, read without a regex."""
    if len(rest) != 13 or not rest.startswith(" - ") or not rest.isascii():
        return None
    year, month, day = rest[3:7], rest[8:10], rest[11:13]
    if rest[7] != "-" or rest[10] != "-" or not (year + month + day).isdigit():
        return None
    try:
        return datetime.date(int(year), int(month), int(day)), KAC_DATE, None
    except ValueError:
        return None, None, f"{rest[3:]!r} is not a valid date"


def _words_date(match: re.Match[str]) -> tuple[datetime.date, str] | None:
    suffix = "2" if match.group("m") is None else ""
    month_name = match.group("m" + suffix)
    month, short = _month(month_name)
    if month is None:
        return None
    try:
        date = datetime.date(int(match.group("y" + suffix)), month, int(match.group("d" + suffix)))
    except ValueError:
        return None
    day = match.group("d" + suffix)
    marks = {
        "m" + suffix: "{b}" if short else "{B}",
        "d" + suffix: "{dd}" if len(day) == 2 and day.startswith("0") else "{d}",
        "th" + suffix: "{th}",
        "y" + suffix: "{Y}",
    }
    spans = sorted((match.span(group), mark) for group, mark in marks.items() if match.group(group))
    form, position = "", match.start()
    for (start, end), mark in spans:
        form += match.string[position:start] + mark
        position = end
    return date, form + match.string[position : match.end()]


def _month(name: str) -> tuple[int | None, bool]:
    lowered = name.casefold()
    for number, month in enumerate(_MONTHS, start=1):
        if lowered == month.casefold():
            return number, False
        if lowered in (month[:3].casefold(), month[:4].casefold()) and len(lowered) < len(month):
            return number, True
    return None, False


def _date_style(rest: str, start: int, end: int, form: str) -> DateStyle:
    after = rest[end:].split(" ", 1)[0] if rest[end : end + 1] not in ("", " ") else ""
    return DateStyle(before=rest[:start], form=form, after=after)


def format_date(date: datetime.date, form: str) -> str:
    if form == "{iso}":
        return date.isoformat()
    ordinal = (
        "th" if 10 <= date.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(date.day % 10, "th")
    )
    month = _MONTHS[date.month - 1]
    return (
        form.replace("{B}", month)
        .replace("{b}", month[:3])
        .replace("{dd}", f"{date.day:02d}")
        .replace("{d}", str(date.day))
        .replace("{th}", ordinal)
        .replace("{Y}", str(date.year))
    )
