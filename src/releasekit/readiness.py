"""Whether git can make the release commit and tag here: a usable identity, and signing.

Asked of git itself (`git var`), so every source git reads counts: user.name/user.email at
any level, the GIT_AUTHOR_*/GIT_COMMITTER_* and EMAIL variables, and useConfigOnly.
"""

from __future__ import annotations

import shutil

from releasekit.git import Git

IDENTITY_REMEDY = (
    "run 'git config user.name \"Your Name\"' and 'git config user.email you@example.org' "
    "(add --global for every repository)"
)


def identity_problem(git: Git) -> str | None:
    """Why git has no usable identity for the release commit and tag, or None."""
    for variable, who in (("GIT_AUTHOR_IDENT", "author"), ("GIT_COMMITTER_IDENT", "committer")):
        if git.try_run("var", variable) is None:
            return f"git has no usable {who} identity for the release commit and tag; " + (
                IDENTITY_REMEDY
            )
    return None


def signing_problem(git: Git) -> str | None:
    """Why a signed tag cannot be made here (for --sign or tag.gpgSign), or None."""
    fmt = (git.try_run("config", "--get", "gpg.format") or "openpgp").strip()
    key = (git.try_run("config", "--get", "user.signingkey") or "").strip()
    if fmt == "ssh":
        program = (git.try_run("config", "--get", "gpg.ssh.program") or "ssh-keygen").strip()
        if not key:
            return (
                "signing with gpg.format=ssh needs user.signingkey (the public key or its "
                "file); run 'git config user.signingkey ~/.ssh/id_ed25519.pub'"
            )
    else:
        section = "gpg.x509.program" if fmt == "x509" else "gpg.program"
        default = "gpgsm" if fmt == "x509" else "gpg"
        program = (git.try_run("config", "--get", section) or default).strip()
    if shutil.which(program) is None:
        return (
            f"signing needs {program!r} (gpg.format={fmt}), which is not on PATH; install it, "
            "or release without --sign (and with tag.gpgSign off)"
        )
    return None
