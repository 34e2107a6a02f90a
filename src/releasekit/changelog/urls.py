"""Compare and tag URLs of the forges, split around their revisions so they can be re-filled.

GitHub, GitLab and Gitea/Codeberg compare as ``.../compare/OLD...NEW``; Bitbucket as
``.../branches/compare/NEW%0DOLD`` or ``NEW..OLD`` (newest first); Azure DevOps as
``.../branchCompare?baseVersion=GTOLD&targetVersion=GTNEW``. Tag links end in the tag
(``/releases/tag/v1.0.0``, ``/-/tags/v1.0.0``, ``/src/tag/v1.0.0``, ``/commits/tag/v1.0.0``)
or name it in Azure's ``?version=GTv1.0.0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

_AZURE_BASE: Final = "baseVersion=GT"
_AZURE_TARGET: Final = "targetVersion=GT"
_AZURE_TAG: Final = "version=GT"
_BITBUCKET_SEP: Final = "%0D"


@dataclass(frozen=True)
class Compare:
    """A compare URL split around its two revisions: ``prefix A sep B tail``."""

    prefix: str
    old: str
    sep: str
    new: str
    tail: str
    newest_first: bool = False  # Bitbucket writes NEW%0DOLD

    def url(self, old: str, new: str) -> str:
        """The same comparison between two other revisions."""
        first, second = (new, old) if self.newest_first else (old, new)
        return f"{self.prefix}{first}{self.sep}{second}{self.tail}"


@dataclass(frozen=True)
class TagUrl:
    """A URL that names one tag: ``prefix TAG tail``."""

    prefix: str
    tag: str
    tail: str

    def url(self, tag: str) -> str:
        """The same link to another tag."""
        return f"{self.prefix}{tag}{self.tail}"


def _query_start(url: str, start: int) -> int:
    ends = [pos for pos in (url.find("?", start), url.find("#", start)) if pos >= 0]
    return min(ends, default=len(url))


def _param_end(url: str, start: int) -> int:
    ends = [pos for pos in (url.find("&", start), url.find("#", start)) if pos >= 0]
    return min(ends, default=len(url))


def split_compare(url: str) -> Compare | None:
    """The compare URL split around its revisions, or None when `url` is no comparison."""
    if _AZURE_BASE in url:
        return _split_azure(url)
    at = url.find("/compare/")
    if at < 0:
        return None
    start = at + len("/compare/")
    end = _query_start(url, start)
    middle = url[start:end]
    for sep in ("...", "..", _BITBUCKET_SEP):
        if sep in middle:
            first, _, second = middle.partition(sep)
            if not first or not second:
                return None
            if sep == _BITBUCKET_SEP or "/branches/compare/" in url:
                # Bitbucket puts the newer revision first, with ``%0D`` or ``..``.
                return Compare(url[:start], second, sep, first, url[end:], newest_first=True)
            return Compare(url[:start], first, sep, second, url[end:])
    return None


def _split_azure(url: str) -> Compare | None:
    base, target = url.find(_AZURE_BASE), url.find(_AZURE_TARGET)
    if target < base:
        return None
    old_start, new_start = base + len(_AZURE_BASE), target + len(_AZURE_TARGET)
    old_end, new_end = _param_end(url, old_start), _param_end(url, new_start)
    if old_end >= target or old_start == old_end or new_start == new_end:
        return None
    return Compare(
        url[:old_start], url[old_start:old_end], url[old_end:new_start],
        url[new_start:new_end], url[new_end:],
    )  # fmt: skip


def split_tag(url: str) -> TagUrl | None:
    """A link to one tag split around it, or None for a comparison or a bare site."""
    if (at := url.find(_AZURE_TAG)) >= 0 and _AZURE_TARGET not in url:
        start = at + len(_AZURE_TAG)
        end = _param_end(url, start)
        return TagUrl(url[:start], url[start:end], url[end:]) if end > start else None
    if "/compare/" in url:
        return None
    end = _query_start(url, url.find("://") + 3 if "://" in url else 0)
    prefix, slash, tag = url[:end].rpartition("/")
    if not slash or not tag:
        return None
    return TagUrl(prefix=prefix + "/", tag=tag, tail=url[end:])


def _host_path(remote_url: str) -> tuple[str, str] | None:
    url = remote_url.strip()
    if "://" in url:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    elif ":" in url and not url.startswith("/"):
        location, _, path = url.partition(":")
        host = location.rpartition("@")[2]
    else:
        return None
    path = path.strip("/").removesuffix(".git").strip("/")
    return (host.lower(), path) if "/" in path else None


def forge_urls(remote_url: str | None) -> tuple[Compare, TagUrl] | None:
    """Compare and tag URL shapes for a remote on a known forge, else None."""
    found = _host_path(remote_url) if remote_url else None
    if found is None:
        return None
    host, path = found
    base = f"https://{host}/{path}"
    shapes: tuple[Compare, TagUrl] | None = None
    if "github" in host or "codeberg" in host or "gitea" in host:
        shapes = (
            Compare(f"{base}/compare/", "", "...", "", ""),
            TagUrl(f"{base}/releases/tag/", "", ""),
        )
    elif "gitlab" in host:
        shapes = Compare(f"{base}/-/compare/", "", "...", "", ""), TagUrl(f"{base}/-/tags/", "", "")
    elif "bitbucket" in host:
        shapes = (
            Compare(f"{base}/branches/compare/", "", _BITBUCKET_SEP, "", "", True),
            TagUrl(f"{base}/commits/tag/", "", ""),
        )
    elif host.endswith(("dev.azure.com", "visualstudio.com")) and "/_git/" in f"/{path}":
        shapes = (
            Compare(f"{base}/branchCompare?{_AZURE_BASE}", "", f"&{_AZURE_TARGET}", "", ""),
            (TagUrl(f"{base}?{_AZURE_TAG}", "", "")),
        )
    return shapes
