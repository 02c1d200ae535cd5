"""The README stays true (in the style of sqlite-utils' documentation tests): every command and
option is documented, every documented command line is valid, the quick start is two one-line
commands, CI runs exactly the README's test command, and the README's examples print what the
README says they print."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

import pytest
import typer.main
from pictures import REPOSITORY

from convcli.cli import app
from convcli.engine.modes import BORDER_ALIASES
from convcli.images.limits import DEFAULT_MAX_PIXELS
from convcli.kernels import library_names

README = (REPOSITORY / "README.md").read_text(encoding="utf-8")
CI_RUN = (REPOSITORY / ".ci" / "run").read_text(encoding="utf-8")
ROOT = typer.main.get_command(app)
#: Options Typer adds for shell completion; documented by Typer, not by this README.
TYPER_OPTIONS = {"--install-completion", "--show-completion", "--help"}


def walk(command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


COMMANDS = dict(walk(ROOT))
SUBCOMMANDS = [path for path in COMMANDS if path]


def section(title: str) -> str:
    """The README text under the heading ``## title``, up to the next ``## ``."""
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end >= 0 else None]


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block in ``text``."""
    return re.findall(r"```(\w*)\n(.*?)```", text, re.DOTALL)


def documented_command_lines() -> list[str]:
    """Every line of a shell or console block in the README that runs convcli."""
    lines = []
    for language, body in code_blocks(README):
        if language not in ("sh", "console"):
            continue
        for line in body.splitlines():
            line = line.removeprefix("$ ")
            if re.search(r"(^|[\s/])convcli ", line):
                lines.append(line)
    return lines


def options_of(command) -> set[str]:
    return {name for param in command.params for name in (*param.opts, *param.secondary_opts)}


# -- commands and options ---------------------------------------------------------------------


@pytest.mark.parametrize("path", SUBCOMMANDS, ids=[" ".join(p) for p in SUBCOMMANDS])
def test_every_command_appears_in_the_readme(path):
    """``convcli apply``, ``convcli show``, ``convcli kernels list`` ... are all in the README."""
    assert f"convcli {' '.join(path)}" in README


@pytest.mark.parametrize("path", list(COMMANDS), ids=[" ".join(p) or "convcli" for p in COMMANDS])
def test_every_command_has_help_text(path):
    """Every command, and every one of its arguments and options, says what it is for."""
    command = COMMANDS[path]
    assert (command.help or "").strip(), f"{path} has no help"
    for param in command.params:
        assert (getattr(param, "help", None) or "").strip(), f"{path}: {param.name} has no help"


@pytest.mark.parametrize("path", list(COMMANDS), ids=[" ".join(p) or "convcli" for p in COMMANDS])
def test_every_option_is_documented_in_the_readme(path):
    """Each option of each command appears in the README by its long or short name."""
    for param in COMMANDS[path].params:
        names = set(param.opts) | set(param.secondary_opts)
        if not any(name.startswith("-") for name in names) or names & TYPER_OPTIONS:
            continue
        assert any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", README) for n in names), names


def resolve_command_line(line: str) -> tuple[tuple[str, ...], list[str]]:
    """(command path, options used) of one documented ``convcli ...`` line."""
    tokens = shlex.split(line, comments=True)
    start = next(i for i, token in enumerate(tokens) if token.endswith("convcli"))
    words: list[str] = []
    for token in tokens[start + 1 :]:
        if token in ("<", ">", "|", "&&", ">>"):
            break
        words.append(token)
    path: tuple[str, ...] = ()
    options = []
    for word in words:
        if word.startswith("-") and word != "-":
            options.append((path, word.split("=", 1)[0]))
        elif (*path, word) in COMMANDS:
            path = (*path, word)
    return path, [option for _, option in options if _ == path or not _]


@pytest.mark.parametrize("line", documented_command_lines())
def test_every_documented_command_line_uses_real_commands_and_options(line):
    """Each ``convcli ...`` line in the README names a real command and its real options."""
    path, options = resolve_command_line(line)
    assert path, f"no command in {line!r}"
    known = options_of(COMMANDS[path]) | options_of(ROOT)
    for option in options:
        assert option in known, f"{option} is not an option of convcli {' '.join(path)}"


def test_the_make_images_script_uses_real_options():
    """docs/make_images.sh, which makes the README's pictures, runs valid commands."""
    script = (REPOSITORY / "docs" / "make_images.sh").read_text()
    lines = [line for line in script.splitlines() if line.startswith("convcli ")]
    assert len(lines) >= 8
    for line in lines:
        path, options = resolve_command_line(line)
        known = options_of(COMMANDS[path]) | options_of(ROOT)
        assert set(options) <= known, line


# -- quick start and CI -----------------------------------------------------------------------


def quick_start_commands() -> list[str]:
    return [body for _, body in code_blocks(section("Quick start"))]


def test_the_quick_start_is_exactly_two_one_line_commands():
    """Install-and-run and install-and-test: two blocks of one line each, no continuations."""
    blocks = quick_start_commands()
    assert len(blocks) == 2
    for block in blocks:
        lines = block.strip().splitlines()
        assert len(lines) == 1 and not lines[0].endswith("\\"), block


def test_ci_runs_exactly_the_readme_test_command():
    """.ci/run's test command is, character for character, the README's."""
    readme_command = quick_start_commands()[1].strip()
    assert "pytest" in readme_command
    ci_commands = [line.strip() for line in CI_RUN.splitlines() if "pytest" in line]
    assert ci_commands == [readme_command]


def test_the_quick_start_filters_a_sample_that_exists():
    """The first quick-start command filters a file that is in the repository."""
    command = quick_start_commands()[0]
    path, _ = resolve_command_line(command)
    assert path == ("apply",)
    sample = re.search(r"(sample_images/\S+)", command)
    assert sample and (REPOSITORY / sample.group(1)).is_file()


# -- the kernel library -----------------------------------------------------------------------


def test_every_library_kernel_appears_in_kernels_list(cli):
    """Every name convcli.kernels.library_names() knows is listed by ``convcli kernels list``."""
    result = cli("kernels", "list", env={"COLUMNS": "250"})
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.split()}
    missing = set(library_names()) - listed
    assert not missing


def test_the_readme_counts_the_built_in_kernels():
    """'The built-in library (43 kernels)' matches the library."""
    count = int(re.search(r"built-in library \((\d+) kernels\)", README).group(1))
    assert count == len(library_names())


def test_the_readme_border_alias_table_matches_the_code():
    """Each row of the alias table lists exactly the aliases convcli accepts for that mode."""
    table = section("`convcli apply KERNEL INPUT -o OUTPUT`")
    rows = re.findall(r"^\| `(\w+)` \| `BORDER_\w+` \| `\w+` \| (.*) \|$", table, re.MULTILINE)
    assert len(rows) == 5
    for mode, aliases in rows:
        documented = set(re.findall(r"`([\w-]+)`", aliases))
        assert documented == {a for a, m in BORDER_ALIASES.items() if m == mode}, mode


def test_the_readme_states_the_real_pixel_limit():
    """The --max-pixels default the README quotes is the one convcli uses."""
    assert f"{DEFAULT_MAX_PIXELS:,} pixels" in README


# -- the README's examples print what it says -------------------------------------------------


def console_example(command: str) -> list[str]:
    """The output lines the README shows under ``$ command``."""
    for language, body in code_blocks(README):
        lines = body.splitlines()
        for index, line in enumerate(lines):
            if language == "console" and line.split("#")[0].strip() == f"$ {command}":
                output = []
                for following in lines[index + 1 :]:
                    if following.startswith("$ "):
                        break
                    output.append(following)
                return output
    raise AssertionError(f"no example of {command!r} in the README")


@pytest.mark.parametrize(
    "command",
    [
        "convcli kernels show sobel-x",
        "convcli show sample_images/tiny-16x16.png --as-array --region 0,0,10,6",
    ],
)
def test_readme_examples_print_what_the_readme_shows(cli, monkeypatch, command):
    """The README's console examples are real output, not hopes."""
    monkeypatch.chdir(REPOSITORY)
    result = cli(*shlex.split(command)[1:])
    assert result.exit_code == 0, result.stderr
    printed = [line.rstrip() for line in result.stdout.splitlines()]
    assert printed == [line.rstrip() for line in console_example(command)]
