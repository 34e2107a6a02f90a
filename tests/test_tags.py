"""Release tags: the inferred style, the nearest tag, the release line (tags.py)."""

from __future__ import annotations

import pytest
from conftest import GitRepo
from packaging.version import Version

from releasekit import tags
from releasekit.git import Git
from releasekit.scm import TagSource, tag_source


@pytest.mark.parametrize(
    ("names", "prefix", "how"),
    [
        (["0.28.1", "0.28.0", "latest"], "", "inferred"),
        (["v1.2.0", "1.1.0", "1.0.0"], "v", "inferred"),  # the newest decides
        (["1.2.0", "v1.1.0"], "", "inferred"),
        (["v16", "latest", "nightly"], "v", "default"),  # aliases are not releases
        ([], "v", "default"),
    ],
)
def test_prefix_is_inferred_from_the_newest_release_tags(
    names: list[str], prefix: str, how: str
) -> None:
    choice = tags.choose_prefix(names, None)
    assert (choice.prefix, choice.how) == (prefix, how)
    assert (choice.note() is None) == (how == "configured")


def test_a_configured_prefix_is_kept() -> None:
    choice = tags.choose_prefix(["1.0.0"], "release-")
    assert (choice.prefix, choice.how, choice.note()) == ("release-", "configured", None)


V = Version


@pytest.mark.parametrize(
    ("new", "current", "releases", "failure", "warning"),
    [
        ("1.2.4", "1.2.3", {"v1.2.3": V("1.2.3"), "v2.0.0": V("2.0.0")}, None, "'v2.0.0'"),
        ("1.2.4", "1.2.3", {"v1.2.5": V("1.2.5")}, "release tag 'v1.2.5' on its line 1.2", None),
        ("1.2.3", "1.2.3", {}, "not greater than the current version", None),
        ("3.8.5", "3.8.4", {"3.8.4": V("3.8.4"), "3.12.13": V("3.12.13")}, None, "'3.12.13'"),
        ("0.28.2", "0.28.1", {"1.0.0.beta0": V("1.0.0b0")}, None, "'1.0.0.beta0'"),
        ("2026.08.18", "2026.08.17", {"2026.8.17": V("2026.8.17")}, None, None),
    ],
)
def test_the_release_line(
    new: str, current: str, releases: dict[str, Version], failure: str | None, warning: str | None
) -> None:
    verdict = tags.judge(Version(new), Version(current), releases, reachable=set())
    if failure is None:
        assert verdict.failure is None
    else:
        assert verdict.failure is not None
        assert failure in verdict.failure
    if warning is None:
        assert not verdict.warnings
    else:
        assert any(warning in line for line in verdict.warnings)


def test_a_higher_tag_on_head_is_refused() -> None:
    verdict = tags.judge(V("1.3.0"), V("1.2.0"), {"v2.0.0": V("2.0.0")}, set(), {"v2.0.0"})
    assert verdict.failure is not None
    assert "HEAD is already tagged 'v2.0.0'" in verdict.failure


@pytest.mark.parametrize(
    ("new", "taken", "free"),
    [
        ("1.3.0", ["1.3.0", "1.3.1"], "1.3.2"),
        ("1.3.0rc1", ["1.3.0rc1"], "1.3.0rc2"),
        ("1.0", [], "1.0"),
    ],
)
def test_next_free_version(new: str, taken: list[str], free: str) -> None:
    assert tags.next_free(Version(new), [Version(v) for v in taken]) == Version(free)


def test_nearest_release_skips_non_release_tags_as_describe_finds_them(git_repo: GitRepo) -> None:
    git_repo.git("tag", "-a", "-m", "x", "v1.0.0")
    git_repo.git("commit", "-q", "--allow-empty", "-m", "later")
    git_repo.git("tag", "v2")  # an alias nearer to HEAD
    git_repo.git("tag", "v1.1.0-junk")  # does not parse
    found = tags.nearest_release(Git(git_repo.path), "v", None)
    assert found == tags.Release("v1.0.0", Version("1.0.0"))


def test_the_scm_tag_regex_is_honoured(git_repo: GitRepo) -> None:
    source = TagSource(
        "setuptools-scm", "x", __import__("re").compile(r"^v(?P<version>\d+\.\d+\.\d+)$")
    )
    git_repo.git("tag", "-a", "-m", "x", "v1.0.0")
    git_repo.git("commit", "-q", "--allow-empty", "-m", "later")
    git_repo.git("tag", "-a", "-m", "x", "v1.1")
    found = tags.nearest_release(Git(git_repo.path), "v", source)
    assert found is not None
    assert found.tag == "v1.0.0"


@pytest.mark.parametrize(
    ("pyproject", "backend"),
    [
        ({"tool": {"hatch": {"version": {"source": "vcs"}}}}, "hatch-vcs"),
        ({"tool": {"pdm": {"version": {"source": "scm"}}}}, "pdm-backend (scm)"),
        ({"tool": {"setuptools_scm": {}}}, "setuptools-scm"),
        (
            {"build-system": {"requires": ["setuptools", "setuptools_scm[toml]>=6"]}},
            "setuptools-scm",
        ),
        ({"tool": {"hatch": {"version": {"path": "x.py"}}}}, None),
    ],
)
def test_tag_sources_are_read_from_the_backend_configuration(
    pyproject: dict[str, object], backend: str | None
) -> None:
    data = {"project": {"name": "x", "dynamic": ["version"]}, **pyproject}
    found = tag_source(data)
    assert (found.backend if found else None) == backend


class _Counting:
    """A real `TagReader` that counts the git processes it starts."""

    def __init__(self, reader: tags.TagReader) -> None:
        self.reader = reader
        self.calls: list[tuple[str, ...]] = []

    def run(self, *args: str) -> str:
        self.calls.append(args)
        return self.reader.run(*args)

    def try_run(self, *args: str) -> str | None:
        self.calls.append(args)
        return self.reader.try_run(*args)


def test_the_tag_listing_names_each_tags_object_and_commit(git_repo: GitRepo) -> None:
    head = git_repo.git("rev-parse", "HEAD")
    git_repo.git("tag", "-a", "-m", "x", "v1.0.0")
    git_repo.git("tag", "v1.0.1")  # lightweight, on the same commit
    git_repo.git("tag", "-a", "-m", "tag of a tag", "outer", "v1.0.0")
    git_repo.git("commit", "-q", "--allow-empty", "-m", "later")
    git_repo.git("tag", "-a", "-m", "x", "v1.1.0")
    listed = {tag.name: tag for tag in tags.all_tags(tags.TagReader(git_repo.path))}
    annotated = listed["v1.0.0"]
    assert annotated.annotated
    assert annotated.object == git_repo.git("rev-parse", "refs/tags/v1.0.0")
    assert annotated.object != head
    assert annotated.commit == head
    assert listed["v1.0.1"].object == listed["v1.0.1"].commit == head
    # As `git tag --points-at` answers (a tag of a tag names the inner tag, not the commit).
    expected = set(git_repo.git("tag", "--points-at", head).split()) - {"outer"}
    assert tags.tags_at(listed.values(), head) == expected == {"v1.0.0", "v1.0.1"}
    assert set(tags.local_tags(listed.values(), "v")) == {"v1.0.0", "v1.0.1", "v1.1.0"}
    assert tags.local_tags(listed.values(), "v")["v1.0.0"] == annotated.object


def test_history_asks_only_about_the_newest_releases_and_only_once(git_repo: GitRepo) -> None:
    releases = {}
    for minor in range(12):  # v0.0.0 .. v0.11.0 on main, in order
        git_repo.git("commit", "-q", "--allow-empty", "-m", f"release {minor}")
        git_repo.git("tag", "-a", "-m", "x", f"v0.{minor}.0")
        releases[f"v0.{minor}.0"] = Version(f"0.{minor}.0")
    git_repo.git("switch", "-q", "-c", "side", "v0.2.0")
    git_repo.git("commit", "-q", "--allow-empty", "-m", "on side")
    reader = _Counting(tags.TagReader(git_repo.path))
    history = tags.History(reader)
    # On `side`, the nine newest (v0.3.0 and up) are not in HEAD's history: the first batch
    # of eight finds none, so the rest are asked about in one more call.
    assert history.newest(releases) == "v0.2.0"
    assert len(reader.calls) == 2
    assert "v0.11.0" not in history
    assert "v0.1.0" in history
    assert history.among(["v0.0.0", "v0.5.0", "nope"]) == {"v0.0.0"}
    assert len(reader.calls) == 3  # only "nope" was new
    assert reader.calls[-1][-1] == "refs/tags/nope"
    git_repo.git("switch", "-q", "main")
    fresh = _Counting(tags.TagReader(git_repo.path))
    assert tags.History(fresh).newest(releases) == "v0.11.0"
    assert len(fresh.calls) == 1
    assert tags.History(fresh).newest({}) is None
