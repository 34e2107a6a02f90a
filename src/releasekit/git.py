"""Repository state and the few git operations a release needs, through gitpython.

Every query is one git call (`repo.git.*`): `for-each-ref` for all release tags at once,
`ls-remote` for the remote's branch, default branch and tags at once, `rev-list --count`
for ahead/behind. Nothing here iterates `repo.tags` (quadratic on packed refs).
Messages from git are passed through `redact` so a credential in a remote URL never
reaches the user.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from git import Repo
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from releasekit import interrupts
from releasekit.errors import GitError
from releasekit.redaction import public_url, register_url, scrub
from releasekit.timeouts import VARIABLES, Limits, limits

__all__ = ["Git", "RemoteRefs", "public_url", "redact"]


def redact(text: str) -> str:
    """Hide every registered secret and the user and password of every URL in `text`."""
    return scrub(text)


@dataclass(frozen=True)
class RemoteRefs:
    """What a remote has: its default branch, branch heads and tags (name -> object)."""

    default_branch: str | None
    heads: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


class Git:
    """One repository; each method is one git call (or a few, named in its docstring)."""

    def __init__(self, path: Path) -> None:
        try:
            self._repo = Repo(path, search_parent_directories=True)
        except (InvalidGitRepositoryError, NoSuchPathError):
            msg = f"{str(path)!r} is not inside a git repository; run 'git init' first"
            raise GitError(msg) from None
        if self._repo.working_tree_dir is None:
            msg = f"{str(path)!r} is a bare repository; releasekit needs a work tree"
            raise GitError(msg)
        self.root = Path(self._repo.working_tree_dir)
        self.calls = 0  # how many git processes ran; reported by the benchmark

    @property
    def common_dir(self) -> Path:
        """The repository's shared `.git` directory (the same for every worktree)."""
        return Path(self._repo.common_dir)

    @property
    def git_dir(self) -> Path:
        """This work tree's own git directory (where its index and index.lock live)."""
        return Path(self._repo.git_dir)

    def _execute(self, args: Sequence[str], *, timeout: float | None = None) -> str:
        self.calls += 1
        return str(
            self._repo.git.execute(
                ["git", *args], strip_newline_in_stdout=False, kill_after_timeout=timeout
            )
        )

    def remote_run(self, *args: str) -> str:
        """Run a git command that talks to a remote, within bounded waits.

        A wall-clock limit on the whole call (the process and its helpers are killed), and
        git's own low-speed limit: below 1 KiB/s for that long, git gives up by itself.
        """
        bounds = limits()
        started = time.monotonic()
        try:
            return self._execute([*_low_speed(bounds), *args], timeout=bounds.git)
        except GitCommandError as exc:
            timed_out = time.monotonic() - started >= bounds.git or "did not complete in" in str(
                exc.stderr
            )
            slow = _too_slow(args, bounds, timed_out=timed_out, stderr=str(exc.stderr))
            raise GitError(slow or _failure(args, exc)) from None

    def run(self, *args: str) -> str:
        """Run `git ARGS` in the work tree and return stdout; failure raises GitError."""
        try:
            return self._execute(args)
        except GitCommandError as exc:
            raise GitError(_failure(args, exc)) from None

    def try_run(self, *args: str) -> str | None:
        """Like `run`, but None when git exits non-zero (for queries that may find nothing)."""
        try:
            return self._execute(args)
        except GitCommandError:
            return None

    # --- local state -------------------------------------------------------------------

    def is_shallow(self) -> bool:
        """Whether this is a shallow clone (git keeps `shallow` in the common dir); no git call."""
        return (self.common_dir / "shallow").is_file()

    def default_branch(self, remote: str) -> str | None:
        """The remote's default branch: `refs/remotes/REMOTE/HEAD`, else `ls-remote --symref`."""
        head = (self.try_run("symbolic-ref", "-q", f"refs/remotes/{remote}/HEAD") or "").strip()
        if head.startswith(f"refs/remotes/{remote}/"):
            return head.removeprefix(f"refs/remotes/{remote}/")
        try:
            listing = self.remote_run("ls-remote", "--symref", remote, "HEAD")
        except GitError:
            listing = ""
        for line in listing.splitlines():
            if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
                return line.removeprefix("ref: refs/heads/").removesuffix("\tHEAD")
        return None

    def head(self) -> str | None:
        """The commit HEAD points at, or None in a repository without commits."""
        out = self.try_run("rev-parse", "-q", "--verify", "HEAD^{commit}")
        return out.strip() if out else None

    def branch(self) -> str | None:
        """The checked-out branch's short name, or None when HEAD is detached."""
        out = self.try_run("symbolic-ref", "-q", "--short", "HEAD")
        return out.strip() if out else None

    def changed_tracked_files(self) -> list[str]:
        """Tracked files that are staged or modified (untracked files are not listed)."""
        out = self.run("status", "--porcelain=v1", "-z", "--untracked-files=no")
        entries = out.split("\0")
        files: list[str] = []
        skip = False
        for entry in entries:
            if skip:  # the source path of a rename
                skip = False
                continue
            if len(entry) > 3:
                files.append(entry[3:])
                skip = entry[0] in "RC"
        return files

    def untracked(self, paths: Sequence[Path]) -> list[Path]:
        """Those of `paths` that git does not track."""
        out = self.run("ls-files", "-z", "--full-name", "--", *(str(p) for p in paths))
        tracked = {(self.root / name).resolve() for name in out.split("\0") if name}
        return [path for path in paths if path.resolve() not in tracked]

    def tags(self, prefix: str) -> dict[str, str]:
        """Every local tag whose name starts with `prefix`: name -> object id (one call)."""
        pattern = f"refs/tags/{prefix}*" if prefix else "refs/tags/"
        out = self.run("for-each-ref", "--format=%(refname:lstrip=2) %(objectname)", pattern)
        tags: dict[str, str] = {}
        for line in out.splitlines():
            name, _, sha = line.rpartition(" ")
            if name.startswith(prefix):  # for-each-ref globs; the prefix is matched exactly
                tags[name] = sha
        return tags

    def valid_tag_name(self, name: str) -> bool:
        """Whether git accepts `name` as a tag name (`git check-ref-format`)."""
        return self.try_run("check-ref-format", f"refs/tags/{name}") is not None

    def count(self, revisions: str) -> int:
        """`git rev-list --count REVISIONS`."""
        return int(self.run("rev-list", "--count", revisions).strip())

    def ahead_behind(self, local: str, upstream: str) -> tuple[int, int]:
        """How many commits `local` has that `upstream` lacks, and the reverse (one call)."""
        out = self.run("rev-list", "--left-right", "--count", f"{local}...{upstream}")
        ahead, behind = out.split()
        return int(ahead), int(behind)

    def has_commit(self, sha: str) -> bool:
        """Whether the commit `sha` is in the local object store."""
        return self.try_run("cat-file", "-e", f"{sha}^{{commit}}") is not None

    def config_bool(self, key: str) -> bool:
        """A boolean git setting; unset is False."""
        out = self.try_run("config", "--type=bool", "--get", key)
        return out is not None and out.strip() == "true"

    # --- the remote --------------------------------------------------------------------

    def remote_url(self, remote: str) -> str | None:
        """The fetch URL of `remote`, or None when no such remote is configured."""
        out = self.try_run("config", "--get", f"remote.{remote}.url")
        if not out:
            return None
        url = out.strip()
        register_url(url)  # a token in the remote's URL is hidden from every message
        return url

    def remote_refs(self, remote: str) -> RemoteRefs:
        """The remote's default branch, heads and tags, from one `ls-remote --symref`."""
        out = self.remote_run("ls-remote", "--symref", remote)
        default: str | None = None
        heads: dict[str, str] = {}
        tags: dict[str, str] = {}
        for line in out.splitlines():
            left, _, ref = line.partition("\t")
            if left.startswith("ref: ") and ref == "HEAD":
                default = left.removeprefix("ref: refs/heads/")
            elif ref.startswith("refs/heads/"):
                heads[ref.removeprefix("refs/heads/")] = left
            elif ref.startswith("refs/tags/") and not ref.endswith("^{}"):
                tags[ref.removeprefix("refs/tags/")] = left
        return RemoteRefs(default_branch=default, heads=heads, tags=tags)

    def fetch_branch(self, remote: str, branch: str) -> None:
        """Fetch the objects of `remote`'s `branch` without changing any local ref."""
        # An empty --refmap keeps git from updating refs/remotes/...: a refused release
        # leaves every ref as it was.
        self.remote_run(
            "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--refmap=", remote,
            f"refs/heads/{branch}",
        )  # fmt: skip

    def push_atomic(self, remote: str, refspecs: Sequence[str]) -> None:
        """Push all `refspecs` in one `git push --atomic`: all are updated, or none."""
        # Not stopped by a signal: whether it arrived is decided on the remote, so the
        # release waits for its answer, within the wall-clock and low-speed limits.
        bounds = limits()
        args = ("push", "--atomic", "--quiet", "--porcelain", remote, *refspecs)
        self.calls += 1
        result = interrupts.run_plain(
            ["git", *_low_speed(bounds), *args], cwd=self.root, stoppable=False,
            timeout=bounds.git,
        )  # fmt: skip
        if result.returncode != 0:
            slow = _too_slow(args, bounds, timed_out=result.timed_out, stderr=result.stderr)
            raise GitError(
                slow or _failure_text(args, result.returncode, result.stderr, result.stdout)
            )

    # --- changes: run so that a signal can stop them (see releasekit.interrupts) ----------

    def change(self, *args: str, stoppable: bool = True) -> str:
        """Run a changing `git ARGS` as a child that a handled signal stops; failure raises."""
        self.calls += 1
        result = interrupts.run_plain(["git", *args], cwd=self.root, stoppable=stoppable)
        if result.returncode != 0:
            raise GitError(_failure_text(args, result.returncode, result.stderr, result.stdout))
        return result.stdout

    def commit_only(self, paths: Sequence[Path], message_file: Path) -> str:
        """Commit exactly `paths` (whatever else the index holds); return the new commit."""
        # The message goes through a file: its size and bytes never meet an argv limit.
        self.change(
            "commit", "--quiet", "--only", "--cleanup=verbatim", "-F", str(message_file), "--",
            *(str(p) for p in paths),
        )  # fmt: skip
        return self.run("rev-parse", "HEAD").strip()

    def reset_branch(self, branch: str, to: str, *, old: str | None = None) -> None:
        """Point `branch` at `to` (only if it is still at `old`, when given)."""
        extra = [old] if old is not None else []
        self.run("update-ref", "-m", "releasekit: undo release", f"refs/heads/{branch}", to, *extra)

    def reset_index(self, to: str) -> None:
        """Make the index match the tree of `to` (the undo of a commit's index change)."""
        self.run("read-tree", to)
        self.try_run("update-index", "-q", "--refresh")

    def index_tree(self) -> str | None:
        """The tree the index holds now (`git write-tree`), or None if git cannot say."""
        out = self.try_run("write-tree")
        return out.strip() if out else None

    def create_tag(self, name: str, message_file: Path, *, target: str, sign: bool) -> None:
        """Create the annotated tag `name` on `target`, its message the file kept verbatim."""
        # Verbatim keeps '### Added' lines (git would strip them as comments). The file
        # ends with a newline (see `message_file_text`), so a signature appended to the
        # message starts on its own line, as `git tag -v` needs.
        self.change(
            "tag", "-s" if sign else "-a", "--cleanup=verbatim", "-F", str(message_file), name,
            target,
        )  # fmt: skip

    def tag_signature(self, name: str) -> str | None:
        """The kind of signature the annotated tag `name` carries (PGP, SSH, X509), or None."""
        body = self.try_run("cat-file", "tag", f"refs/tags/{name}") or ""
        for kind, marker in (
            ("PGP", "-----BEGIN PGP SIGNATURE-----"),
            ("SSH", "-----BEGIN SSH SIGNATURE-----"),
            ("X509", "-----BEGIN SIGNED MESSAGE-----"),
        ):
            if f"\n{marker}\n" in body:
                return kind
        return None

    def ref(self, name: str) -> str | None:
        """The object `name` points at (a full ref name), or None if there is no such ref."""
        out = self.try_run("rev-parse", "-q", "--verify", name)
        return out.strip() if out else None

    def peeled(self, name: str) -> str | None:
        """The commit the ref `name` points at, or None."""
        out = self.try_run("rev-parse", "-q", "--verify", f"{name}^{{commit}}")
        return out.strip() if out else None

    def parent_and_subject(self, commit: str) -> tuple[str | None, str]:
        """The first parent of `commit` (None for a root commit) and its subject."""
        out = self.run("log", "-1", "--format=%P%x00%s", commit).rstrip("\n")
        parents, _, subject = out.partition("\0")
        return (parents.split()[0] if parents.split() else None), subject

    def delete_tag(self, name: str, *, old: str | None = None) -> None:
        """Delete the local tag `name` (only if it still points at `old`, when given)."""
        extra = [old] if old is not None else []
        self.try_run("update-ref", "-d", f"refs/tags/{name}", *extra)


def message_file_text(message: str) -> str:
    """A commit or tag message as git should store it: ending with one newline."""
    return message if message.endswith("\n") else message + "\n"


def _stream(value: object, label: str) -> str:
    # GitCommandError keeps each stream as "\n  stderr: '...'"; take the text back out.
    text = value if isinstance(value, str) else ""
    text = text.strip().removeprefix(f"{label}:").strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _low_speed(bounds: Limits) -> list[str]:
    """git's own low-speed limit: below 1 KiB/s for that long, git gives up by itself."""
    return ["-c", "http.lowSpeedLimit=1024", "-c", f"http.lowSpeedTime={bounds.git_low_speed:.0f}"]


def _too_slow(args: Sequence[str], bounds: Limits, *, timed_out: bool, stderr: str) -> str | None:
    """The one-line message for a remote call that ran out of time, or None."""
    if timed_out:
        return (
            f"git {args[0]} did not finish within {bounds.git:g}s "
            f"({VARIABLES['git']}); the remote does not answer — check the network "
            f"and the remote's URL, or raise the limit"
        )
    if "Operation too slow" in stderr:
        return (
            f"git {args[0]} gave up: the remote sent less than 1 KiB/s for "
            f"{bounds.git_low_speed:g}s ({VARIABLES['git_low_speed']}); check the "
            f"network and the remote's URL, or raise the limit"
        )
    return None


def _failure(args: Sequence[str], exc: GitCommandError) -> str:
    return _failure_text(
        args, exc.status, _stream(exc.stderr, "stderr"), _stream(exc.stdout, "stdout")
    )


def _failure_text(args: Sequence[str], status: object, stderr: str, stdout: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    # `push --porcelain` gives each refused ref as "!<TAB>from:to<TAB>[rejected] (reason)".
    lines += [
        " ".join(line.split("\t")[1:]) for line in stdout.splitlines() if line.startswith("!")
    ]
    detail = "; ".join(lines[-4:]) if lines else f"exit status {status}"
    return redact(f"git {args[0]} failed: {detail}")
