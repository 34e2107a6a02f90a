"""The `releasekit` console script: releasekit's own command line over the invoke collection.

invoke's `Program` parses and runs the tasks, but its core options (`--dry`, `--pty`,
`--hide`, `--echo`, ...) are about shell commands run through `c.run`, which releasekit
never uses: through the releasekit door they are not offered, not accepted, and not shown.
Usage errors get "did you mean ..." and exit 2. The `invoke` door (a project's `tasks.py`)
is invoke's own Program and keeps behaving as invoke does.
"""

from __future__ import annotations

import difflib
import inspect
import re
import sys
from typing import TYPE_CHECKING, Any, Final

from invoke.completion.complete import complete, print_completion_script
from invoke.exceptions import Exit, ParseError
from invoke.parser.argument import Argument
from invoke.parser.context import ParserContext
from invoke.parser.parser import Parser
from invoke.program import Program

from releasekit import __version__, redaction
from releasekit.errors import UsageError
from releasekit.tasks import BROKEN_PIPE_EXIT, ns, reader_gone, usage_of

if TYPE_CHECKING:
    from invoke.tasks import Task

SUMMARY: Final = "release automation for Python packages: check, bump, changelog, tag, publish"
DOCS: Final = "https://pypi.org/project/releasekit/ (README), and docs/ in its source tree"
SHELLS: Final = ("bash", "zsh", "fish")
_WIDTH: Final = 30
_METAVARS: Final = {
    "completion": "SHELL",
    "help": "TASK",
    "date": "YYYY-MM-DD",
    "pre": "KIND",
    "type": "KIND",
    "outdir": "DIR",
    "dist": "DIR",
    "tests": "DIR",
    "python": "PYTHON",
    "installer": "uv|pip",
    "group": "GROUP",
    "pytest_args": "ARGS",
    "pytest-args": "ARGS",
    "repository": "NAME|URL",
    "index_url": "URL",
    "index-url": "URL",
    "prefix": "PREFIX",
    "tag_prefix": "PREFIX",
    "tag-prefix": "PREFIX",
    "target": "PART|VERSION",
    "requirement": "SPEC",
}


class ReleasekitProgram(Program):
    """invoke's Program with releasekit's options, help and usage errors."""

    running = False  # whether the releasekit door (not invoke's) is the one running

    def run(self, argv: list[str] | None = None, exit: bool = True) -> None:
        """Run the command line, remembering that this door is the one in use."""
        self.running = True
        super().run(argv, exit)

    def core_args(self) -> list[Argument]:
        """releasekit's own options (and invoke's hidden completion hook)."""
        return [
            Argument(names=("help", "h"), optional=True, help="show this help, or a task's"),
            Argument(names=("version", "V"), kind=bool, default=False, help="print the version"),
            Argument(names=("list", "l"), kind=bool, default=False, help="list the tasks"),
            Argument(
                names=("completion",),
                default="",
                help=f"print the shell completion script ({'|'.join(SHELLS)})",
            ),
            # What the completion scripts call: `releasekit --complete -- WORDS`.
            Argument(names=("complete",), kind=bool, default=False),
        ]

    def task_args(self) -> list[Argument]:
        """No collection loading flags: the collection is releasekit's."""
        return []

    def parse_core(self, argv: list[str] | None) -> None:
        """Parse releasekit's options; --version and --completion act at once."""
        self.normalize_argv(argv)
        parser = Parser(initial=self.initial_context, ignore_unknown=True)
        try:
            self.core = parser.parse_argv(self.argv[1:])
        except ParseError as exc:
            raise _usage(exc, self.initial_context) from None
        if self.args.version.value:
            print(f"releasekit {__version__}")
            raise Exit
        if shell := self.args.completion.value:
            if shell not in SHELLS:
                msg = f"--completion {shell!r} is not a shell releasekit completes; use one of: "
                raise Exit(f"releasekit: error: {msg}{', '.join(SHELLS)}", UsageError.exit_code)
            print_completion_script(shell=shell, names=["releasekit"])
            raise Exit

    def parse_tasks(self) -> None:
        """Parse the tasks and their flags; a parse error is a usage error with a remedy."""
        try:
            super().parse_tasks()
        except ParseError as exc:
            raise _usage(exc, exc.context) from None

    def parse_cleanup(self) -> None:
        """--help, --help TASK, --list, completion, or the help when no task is given."""
        wanted = self.args.help.value
        if wanted is True:
            self.print_help()
            raise Exit
        if wanted:
            if wanted not in self.parser.contexts:
                raise _unknown_task(wanted)
            self.print_task_help(wanted)
            raise Exit
        if self.args.list.value:
            self.list_root = None
            self.list_depth = None
            self.list_format = "flat"
            self.list_tasks()
            raise Exit
        if self.args.complete.value:
            complete(
                names=["releasekit"],
                core=self.core,
                initial_context=self.initial_context,
                collection=self.collection,
                parser=self._make_parser(),
            )
        if not self.tasks:
            self.print_help()
            raise Exit

    def update_config(self, merge: bool = True) -> None:
        """No run/sudo/timeout overrides: releasekit runs no shell commands through invoke."""
        if merge:
            self.config.merge()

    def print_help(self) -> None:
        """What releasekit is, its options, its tasks, and where the docs are."""
        print(f"releasekit {__version__}: {SUMMARY}")
        print()
        print("Usage: releasekit [--help] [--version] [--list] [--completion SHELL]")
        print("       releasekit TASK [options]      (releasekit TASK --help for a task's)")
        print()
        print("Options:")
        for names, text in _option_lines(self.initial_context):
            print(f"  {names:<{_WIDTH}}{text}")
        print()
        print("Tasks:")
        for name, task in sorted(self.collection.tasks.items()):
            print(f"  {name:<{_WIDTH}}{_first_line(task)}")
        print()
        print(f"Docs: {DOCS}")

    def print_task_help(self, name: str) -> None:
        """`releasekit TASK ARGS [options]`, the task's description, its arguments and flags."""
        task: Task[Any] = self.collection[name]
        context = self.parser.contexts[name]
        options = _option_lines(context)
        words = ["Usage: releasekit", name, usage_of(task), "[options]" if options else ""]
        print(" ".join(word for word in words if word))
        print()
        for line in (inspect.getdoc(task) or "").splitlines():
            print(f"  {line}".rstrip())
        positional = [arg for arg in context.positional_args if arg.help]
        if positional:
            print()
            print("Arguments:")
            single = usage_of(task) if len(positional) == 1 else None
            for arg in positional:
                print(f"  {single or arg.name.upper():<{_WIDTH}}{arg.help}")
        if options:
            print()
            print("Options:")
            for names, text in options:
                print(f"  {names:<{_WIDTH}}{text}")


def _first_line(task: Task[Any]) -> str:
    return (inspect.getdoc(task) or "").split("\n", 1)[0]


def _option_lines(context: ParserContext) -> list[tuple[str, str]]:
    """(flags, help) for each flag argument that has help, long names first as typed."""
    lines: list[tuple[str, str]] = []
    for arg in sorted(context.flags.values(), key=lambda each: each.name):
        if arg.positional or not arg.help:
            continue
        value = f" {_METAVARS.get(arg.name, 'VALUE')}" if arg.kind in (str, int, list) else ""
        long = [f"--{name}" for name in arg.names if len(name) > 1]
        short = [f"-{name}" for name in arg.names if len(name) == 1]
        if arg.optional:
            value = f" [{_METAVARS.get(arg.name, 'VALUE')}]"
        names = ", ".join([*short, *long]) + value
        if names not in (line[0] for line in lines):
            lines.append((names, arg.help))
    return lines


def _close(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _unknown_task(name: str) -> Exit:
    hint = _close(name, sorted(ns.task_names))
    return Exit(
        f"releasekit: error: unknown task {name!r}{hint} ('releasekit --list' lists the tasks)",
        UsageError.exit_code,
    )


def _usage(exc: ParseError, context: ParserContext | None) -> Exit:
    """invoke's parse error as releasekit's one-line usage error, with a remedy."""
    text = str(exc)
    if found := re.fullmatch(r"No idea what '(.*)' is!", text):
        word = found.group(1)
        if not word.startswith("-"):
            return _unknown_task(word)
        where = context.name if context is not None and context.name else None
        flags = list(context.flags) if context is not None else []
        flags += [flag for flag in _core_flags() if flag not in flags]
        hint = _close(word, flags)
        see = f"'releasekit {where} --help'" if where else "'releasekit --help'"
        scope = f" for {where!r}" if where else ""
        return Exit(
            f"releasekit: error: unknown option {word!r}{scope}{hint} (see {see})",
            UsageError.exit_code,
        )
    if found := re.fullmatch(r"'(.*)' did not receive required positional arguments: .*", text):
        name = found.group(1)
        task = ns[name]
        return Exit(
            f"releasekit: error: 'releasekit {name}' needs {usage_of(task)} "
            f"(see 'releasekit {name} --help')",
            UsageError.exit_code,
        )
    if found := re.fullmatch(
        r"Flag <Argument: ([^ ]+).*> needed value and was not given one!", text
    ):
        return Exit(
            f"releasekit: error: option --{found.group(1)} needs a value", UsageError.exit_code
        )
    return Exit(f"releasekit: error: {text}", UsageError.exit_code)


def _core_flags() -> list[str]:
    return ["--help", "--version", "--list", "--completion"]


program = ReleasekitProgram(
    name="releasekit", binary="releasekit", namespace=ns, version=__version__
)


def main() -> None:
    """Run the releasekit command line; every line it prints passes the secret scrubber."""
    redaction.install()
    try:
        program.run()
    except BrokenPipeError:  # `releasekit --help | head`: no traceback, the shell's status
        reader_gone(both=True)
        sys.exit(BROKEN_PIPE_EXIT)
