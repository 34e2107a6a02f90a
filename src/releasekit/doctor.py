"""`releasekit doctor`: check the local publishing setup without uploading anything.

Each check gives one Finding (ok, warn or fail) with a detail that never holds a secret.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from releasekit import credentials, sessions
from releasekit.config import Config
from releasekit.errors import CredentialError, PublishError
from releasekit.publish import PYPI_UPLOAD, TESTPYPI_UPLOAD, Target, index_files
from releasekit.redaction import public_url as _public

PYPI_SIMPLE = "https://pypi.org/simple/"

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    """The result of one check."""

    status: Status
    check: str
    detail: str

    def line(self) -> str:
        """One line for people."""
        return f"[{self.status:>4}] {self.check}: {self.detail}"


def diagnose(root: Path, config: Config, environ: Mapping[str, str]) -> list[Finding]:
    """Run every check; nothing is changed and nothing is uploaded."""
    findings: list[Finding] = []
    for repository, url in (("pypi", PYPI_UPLOAD), ("testpypi", TESTPYPI_UPLOAD)):
        findings.append(_credential(repository, url, environ))  # type: ignore[arg-type]
    findings.extend(_pypirc(environ))
    findings.extend(_token_prefixes(environ))
    findings.extend(_git(root))
    findings.extend(_tools())
    findings.extend(_workflow(root, config))
    findings.extend(_workflow_sessions(root))
    findings.extend(_requirement(root, environ))
    return findings


def _workflow_sessions(root: Path) -> list[Finding]:
    """Every `nox -s NAME` a workflow runs names a session the noxfile defines."""
    if not (root / ".github" / "workflows").is_dir():
        return []
    missing = sessions.missing_sessions(root)
    if not missing:
        return [Finding("ok", "workflow sessions", f"each one is defined in {sessions.NOXFILE}")]
    return [
        Finding(
            "fail",
            "workflow sessions",
            f"{name} calls {', '.join(lacking)}, which {sessions.NOXFILE} does not define; "
            "run 'releasekit init' to add them as a marked block, or define them",
        )
        for name, lacking in missing.items()
    ]


def _requirement(root: Path, environ: Mapping[str, str]) -> list[Finding]:
    """The releasekit the generated files install: a pinned version must be on the index."""
    noxfile = root / sessions.NOXFILE
    spec = sessions.pinned_requirement(noxfile.read_text("utf-8")) if noxfile.is_file() else None
    if spec is None:
        return []
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        if (root / spec).exists() or "://" in spec:
            return [Finding("ok", "releasekit requirement", f"{spec} (not on an index)")]
        return [Finding("fail", "releasekit requirement", f"{spec!r} is neither a pin nor a path")]
    pinned = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
    if requirement.url or not pinned:
        return [Finding("ok", "releasekit requirement", f"{spec} (not pinned: not checked)")]
    return [_on_an_index(spec, requirement.name, Version(pinned[0]), environ)]


def _on_an_index(spec: str, name: str, wanted: Version, environ: Mapping[str, str]) -> Finding:
    """Whether the index uv/pip would use (or an extra one) has version `wanted` of `name`."""
    indexes = [
        environ.get("UV_INDEX_URL") or environ.get("PIP_INDEX_URL") or PYPI_SIMPLE,
        *(
            environ.get("UV_EXTRA_INDEX_URL", "") + " " + environ.get("PIP_EXTRA_INDEX_URL", "")
        ).split(),
    ]
    errors: list[str] = []
    for index in indexes:
        if not index.startswith(("http://", "https://")):
            continue
        try:
            found = _versions_on(index, name)
        except PublishError as exc:
            errors.append(str(exc))
            continue
        if wanted in found:
            return Finding("ok", "releasekit requirement", f"{spec} is on {_public(index)}")
    if errors and len(errors) == len(indexes):
        return Finding("warn", "releasekit requirement", f"{spec}: {errors[0]}")
    detail = (
        f"the generated files install {spec}, which no index here has "
        f"({', '.join(_public(i) for i in indexes)}); run 'releasekit init --requirement SPEC' "
        "with a released version, a path or a URL"
    )
    return Finding("fail", "releasekit requirement", detail)


def _versions_on(index: str, name: str) -> set[Version]:
    import requests  # noqa: PLC0415 - only when a pin is checked

    target = Target("pypi", index, index)
    with requests.Session() as session:
        files = index_files(session, target, name)
    versions: set[Version] = set()
    for filename in files:
        try:
            if filename.endswith(".whl"):
                versions.add(parse_wheel_filename(filename)[1])
            else:
                versions.add(parse_sdist_filename(filename)[1])
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
    return versions


def _credential(
    repository: credentials.RepositoryName, url: str, environ: Mapping[str, str]
) -> Finding:
    check = f"credential for {repository}"
    if (
        repository != "local"
        and credentials.in_ci(environ)
        and credentials.configured(repository, url, environ) is None
    ):
        # doctor uploads nothing, so it does not mint a token either.
        detail = "no token set; in CI, twine's Trusted Publishing mints one when uploading"
        return Finding("ok", check, detail)
    try:
        found = credentials.resolve(repository, url, environ)
    except CredentialError as exc:
        return Finding("warn", check, str(exc))
    warning = credentials.token_warning(found, repository)
    if warning:
        return Finding("warn", check, f"{found.describe()}; {warning}")
    return Finding("ok", check, found.describe())


def _pypirc(environ: Mapping[str, str]) -> list[Finding]:
    path = credentials.pypirc_path(environ)
    if not path.is_file():
        return [Finding("ok", ".pypirc", f"{path} does not exist (not needed)")]
    try:
        parser = credentials.read_pypirc(path)
    except CredentialError as exc:
        return [Finding("fail", ".pypirc", str(exc))]
    private = (
        "is private (mode 600 or stricter)"
        if credentials.MODE_BITS_PROTECT
        else "is in your profile (its ACLs, not mode bits, keep it private)"
    )
    findings = [Finding("ok", ".pypirc permissions", f"{path} {private}")]
    servers = parser.get("distutils", "index-servers", fallback="").split()
    for name in servers:
        if not parser.has_section(name):
            detail = f"index-servers names [{name}] but there is no such section; add or remove it"
            findings.append(Finding("fail", ".pypirc shape", detail))
    for section in parser.sections():
        if section == "distutils":
            continue
        if section not in {"pypi", "testpypi"} and not parser.get(
            section, "repository", fallback=""
        ):
            detail = f"[{section}] has no repository = URL; twine cannot use it"
            findings.append(Finding("fail", ".pypirc shape", detail))
        password = parser.get(section, "password", fallback="")
        username = parser.get(section, "username", fallback=credentials.TOKEN_USER)
        if section in {"pypi", "testpypi"} and password:
            cred = credentials.Credential(username, password, f"~/.pypirc [{section}]")
            warning = credentials.token_warning(cred, section)  # type: ignore[arg-type]
            if warning:
                findings.append(Finding("warn", "token prefix", warning))
    if len(findings) == 1:
        sections = ", ".join(f"[{s}]" for s in parser.sections()) or "no sections"
        findings.append(Finding("ok", ".pypirc shape", sections))
    return findings


def _token_prefixes(environ: Mapping[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    for name in ("PYPI_TOKEN", "TESTPYPI_TOKEN", "UV_PUBLISH_TOKEN"):
        value = environ.get(name, "")
        if value and not value.startswith(credentials.PYPI_TOKEN_PREFIX):
            detail = f"{name} does not start with 'pypi-' ({credentials.mask(value)})"
            findings.append(Finding("warn", "token prefix", detail))
    user = environ.get("TWINE_USERNAME", "") or credentials.TOKEN_USER
    password = environ.get("TWINE_PASSWORD", "")
    prefixed = password.startswith(credentials.PYPI_TOKEN_PREFIX)
    if password and user == credentials.TOKEN_USER and not prefixed:
        detail = f"TWINE_PASSWORD does not start with 'pypi-' ({credentials.mask(password)})"
        findings.append(Finding("warn", "token prefix", detail))
    return findings


def _git_config(root: Path, key: str) -> str:
    result = subprocess.run(
        ["git", "config", "--get", key], cwd=root, capture_output=True, text=True, check=False
    )
    return result.stdout.strip()


def _git(root: Path) -> list[Finding]:
    if shutil.which("git") is None:
        return [Finding("fail", "git", "git is not on PATH; install git")]
    name, email = _git_config(root, "user.name"), _git_config(root, "user.email")
    findings = []
    if name and email:
        findings.append(Finding("ok", "git identity", f"{name} <{email}>"))
    else:
        detail = "user.name or user.email is not set; run git config user.name/user.email"
        findings.append(Finding("fail", "git identity", detail))
    signing = [k for k in ("commit.gpgsign", "tag.gpgsign") if _git_config(root, k) == "true"]
    if not signing:
        findings.append(Finding("ok", "git signing", "off (commits and tags are not signed)"))
    elif _git_config(root, "user.signingkey"):
        fmt = _git_config(root, "gpg.format") or "openpgp"
        findings.append(Finding("ok", "git signing", f"{', '.join(signing)} with {fmt} key"))
    else:
        detail = f"{', '.join(signing)} is on but user.signingkey is not set"
        findings.append(Finding("warn", "git signing", detail))
    return findings


def _tools() -> list[Finding]:
    findings = []
    for tool, why in (("nox", "runs the sessions"), ("uv", "makes venvs fast")):
        where = shutil.which(tool)
        if where:
            findings.append(Finding("ok", tool, where))
        else:
            detail = f"not on PATH ({why}); python3 -m pip install {tool}"
            findings.append(Finding("warn", tool, detail))
    return findings


_ENVIRONMENT = re.compile(r"^[ \t]*environment:[ \t]*(?:\n[ \t]+name:[ \t]*)?(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([\w.-]+)['\"]")


def environment_names(workflow: str) -> set[str]:
    """Every environment a workflow's jobs name, including both sides of an expression.

    >>> sorted(environment_names("    environment:\\n      name: ${{ x && 'testpypi' || 'pypi' }}"))
    ['pypi', 'testpypi']
    """
    names: set[str] = set()
    for found in _ENVIRONMENT.findall(workflow):
        value = found.strip()
        if "${{" in value:
            names.update(_QUOTED.findall(value))
        elif value:
            names.add(value.strip("'\""))
    return names


def _workflow(root: Path, config: Config) -> list[Finding]:
    path = root / ".github" / "workflows" / config.workflow
    if not path.is_file():
        detail = (
            f"{config.workflow!r} ([tool.releasekit] workflow) is not in .github/workflows; "
            f"PyPI's trusted publisher must name the workflow file that publishes"
        )
        return [Finding("warn", "release workflow", detail)]
    text = path.read_text(encoding="utf-8")
    named = environment_names(text)
    findings = []
    for key, wanted in (
        ("environment", config.environment),
        ("test-environment", config.test_environment),
    ):
        if wanted in named:
            findings.append(
                Finding("ok", "workflow environment", f"{config.workflow} uses {wanted!r}")
            )
        else:
            listed = ", ".join(sorted(named)) or "none"
            detail = (
                f"[tool.releasekit] {key} is {wanted!r} but {config.workflow} names {listed}; "
                f"make them agree (PyPI's trusted publisher checks the environment name)"
            )
            findings.append(Finding("fail", "workflow environment", detail))
    return findings
