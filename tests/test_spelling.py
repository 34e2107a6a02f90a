"""The project's spelling of versions (spelling.py): padding and bare .dev, PEP 440 equality."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from releasekit import spelling
from releasekit.spelling import Spelling, learn


@pytest.mark.parametrize(
    ("samples", "version", "written"),
    [
        (["2026.08.17"], "2026.8.18", "2026.08.18"),
        (["2026.08.17"], "2026.12.2", "2026.12.02"),
        (["2026.10.17", "2026.08.01"], "2026.11.3", "2026.11.03"),  # padding learned from a tag
        (["1.2.3"], "1.2.4", "1.2.4"),
        (["8.5.0.dev"], "8.6.0.dev0", "8.6.0.dev"),
        (["8.5.0.dev"], "8.6.0.dev1", "8.6.0.dev1"),
        (["2026.08.17"], "2026.8.18rc1", "2026.08.18rc1"),
        (["not a version", "1.02"], "1.3", "1.03"),
        ([], "1!2.0.post1", "1!2.0.post1"),
    ],
)
def test_written_as_the_project_writes(samples: list[str], version: str, written: str) -> None:
    result = learn(samples).write(Version(version))
    assert str(result) == written
    assert result == Version(version)  # compares canonically
    assert hash(result) == hash(Version(version))


def test_an_explicit_padding_joins_the_project_spelling() -> None:
    merged = learn(["1.2.3"]).merge(learn(["2026.12.02"]))
    assert str(merged.write(Version("2026.12.2"))) == "2026.12.02"
    assert "position 2, 3" in merged.describe()


def test_canonical_spelling_gives_a_plain_version() -> None:
    assert type(Spelling().write(Version("1.2.3"))) is Version
    assert Spelling().describe() == "canonical PEP 440"


@given(
    st.lists(st.integers(0, 300), min_size=1, max_size=4), st.lists(st.integers(0, 4), max_size=4)
)
def test_spelled_versions_are_always_equal_to_the_canonical_one(
    release: list[int], widths: list[int]
) -> None:
    version = Version(".".join(map(str, release)))
    spelled = Spelling(widths=tuple(widths)).write(version)
    assert spelled == version
    assert Version(str(spelled)) == version


_NUMBER = st.from_regex(r"\A0?[0-9]{1,3}\Z")
_SAMPLE = st.builds(
    lambda epoch, numbers, tail: epoch + ".".join(numbers) + tail,
    st.sampled_from(["", "1!", "01!"]),
    st.lists(_NUMBER, min_size=1, max_size=4),
    st.sampled_from(
        ["", "a1", "rc0", ".post1", ".dev", ".dev0", "dev", "-DEV", ".dev1", "+x", "-1"]
    ),
)


@given(st.lists(_SAMPLE | st.text(max_size=12), max_size=6))
def test_samples_skipped_unparsed_teach_nothing(samples: list[str]) -> None:
    """`learn` skips samples `may_teach` rules out; parsed, they would teach nothing."""
    for sample in samples:
        if not spelling.may_teach(sample):
            assert spelling.lesson(sample) == spelling.Spelling(), sample
    everything = spelling.Spelling()
    for sample in samples:
        everything = everything.merge(spelling.lesson(sample))
    assert spelling.learn(samples) == everything
