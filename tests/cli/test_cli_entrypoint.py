"""The installed entry points (``python -m convcli`` and the ``convcli`` script) in real
processes: version, help, cheap start-up, shell completion, and a representative set of
commands end to end, with exit codes, stdout and stderr as a shell sees them."""

from __future__ import annotations

import json
import re
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
from pictures import decode, decode_bytes, error_line, golden, snapshot

COMMANDS = [[], ["apply"], ["show"], ["kernels"], ["kernels", "list"], ["kernels", "show"]]
COMMAND_IDS = ["root", "apply", "show", "kernels", "kernels list", "kernels show"]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("script", [False, True], ids=["python -m convcli", "convcli script"])
def test_version_prints_convcli_and_the_installed_version(run_convcli, script):
    """``--version`` prints ``convcli <version>`` on stdout and exits 0."""
    finished = run_convcli("--version", script=script)
    assert finished.returncode == 0
    assert finished.stdout.decode() == f"convcli {version('convcli')}\n"
    assert finished.stderr == b""


def test_the_script_is_installed_next_to_the_interpreter():
    """The ``convcli`` console script exists beside sys.executable."""
    assert Path(sys.executable).with_name("convcli").is_file()


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_help_on_every_command_exits_0_and_shows_an_example(cli, command):
    """Every command's help exits 0 and shows at least one example invocation of itself."""
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.stderr
    path = " ".join(["convcli", *command])
    examples = [
        line
        for line in result.stdout.splitlines()
        if "Usage:" not in line and re.search(rf"{re.escape(path)} \S", line)
    ]
    assert examples, f"no example of '{path} ...' in its help:\n{result.stdout}"


def test_help_paragraphs_flow_instead_of_keeping_the_docstrings_line_breaks():
    """Typer keeps a docstring's line breaks, which broke the help's lines mid-sentence: every
    command's help reaches Typer as paragraphs of one line each."""
    import typer.main
    from typer._click.core import Context

    from convcli.cli import app

    group = typer.main.get_command(app)
    context = Context(group)
    for name in group.list_commands(context):  # type: ignore[attr-defined]
        command = group.get_command(context, name)  # type: ignore[attr-defined]
        for paragraph in (command.help or "").split("\n\n"):
            assert "\n" not in paragraph, (name, paragraph)


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_dash_h_is_the_same_as_help(cli, command):
    """``-h`` prints the same help as ``--help``."""
    short, long = cli(*command, "-h"), cli(*command, "--help")
    assert short.exit_code == 0 and short.stdout == long.stdout


def modules_loaded_by_convcli(args: list[str], prefixes: set[str]) -> list[str]:
    """Run ``convcli args`` in a fresh interpreter; the loaded modules starting with any of
    ``prefixes`` (a whole dotted part: "PIL" matches PIL.PngImagePlugin, not PILLOW)."""
    import subprocess

    probe = (
        "import json, sys\n"
        f"sys.argv = ['convcli', *{args!r}]\n"
        "import convcli.cli\n"
        "try:\n    convcli.cli.main()\nexcept SystemExit:\n    pass\n"
        "sys.stdout.flush()\n"
        f"wanted = {sorted(prefixes)!r}\n"
        "found = [m for m in sys.modules if any(m == p or m.startswith(p + '.') for p in wanted)]\n"
        "print('\\n' + json.dumps(sorted(found)))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["apply", "--help"], ["show", "-h"]])
def test_help_and_version_do_not_import_numpy_or_pillow(args):
    """Start-up for --help and --version stays cheap: neither NumPy nor Pillow is imported, nor
    Rich's Markdown renderer (Typer imports it for a markup mode convcli does not use) or its
    traceback renderer with Pygments (for --debug runs only), nor pydantic (which Typer 0.29
    imports to check every option: 0.1 s)."""
    heavy = {"numpy", "PIL", "rich.markdown", "markdown_it", "rich.traceback", "pygments"}
    heavy.add("pydantic")
    assert modules_loaded_by_convcli(args, heavy) == []


#: The plugins Pillow's preinit() loads; anything beyond them must be what the input needs.
ALWAYS = {"Bmp", "Gif", "Jpeg", "Ppm", "Png"}


@pytest.mark.parametrize(
    ("name", "output", "needed"),
    [
        ("in.png", "out.png", {"Png"}),
        ("in.tif", "out.tif", None),
        ("in.png", "out.tif", {"Png"}),
        ("in.tif", "out.png", set()),
    ],
)
def test_one_file_loads_only_what_it_uses(tmp_path, name, output, needed):
    """``apply`` on one PNG or TIFF loads the Pillow plugin that reads it and at most those
    Pillow always loads, not all ~45 (``Image.init()``, 50-80 ms; convcli writes PNG and TIFF
    itself, and reads plain TIFFs itself: TIFF to TIFF needs no Pillow at all); no batch
    progress bar, no numpy.ma (which ``np.unique`` loads), no pydantic."""
    from PIL import Image

    source = tmp_path / name
    Image.new("RGB", (8, 8), (10, 20, 30)).save(source)
    target = tmp_path / output
    args = ["-q", "apply", "sharpen", str(source), "-o", str(target)]
    loaded = modules_loaded_by_convcli(args, {"PIL", "rich.progress", "numpy.ma", "pydantic"})
    assert target.is_file()
    if needed is None:
        assert loaded == []
        return
    loaded_plugins = {m[4:].removesuffix("ImagePlugin") for m in loaded if m.endswith("Plugin")}
    assert needed <= loaded_plugins <= ALWAYS | needed
    assert not [m for m in loaded if m.startswith(("rich", "numpy", "pydantic"))]


@pytest.mark.parametrize("output", ["out.jpg", "out.tif"])
def test_one_file_with_a_cached_calibration_skips_what_only_other_runs_need(
    tmp_path, monkeypatch, output
):
    """A one-file run as users make it (calibration on, already cached) looks up no package
    metadata (importlib.metadata: 30-45 ms), starts no `uname` subprocess for the cache key, and
    loads no process pool or, for outputs other than PNG, thread pool (10 ms together)."""
    import json

    from PIL import Image

    from convcli.runs import calibration

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv(calibration.SWITCH, "on")
    cached = calibration.cache_file()
    cached.parent.mkdir(parents=True)
    cached.write_text(json.dumps({"direct": 1.0, "separable": 1.0, "fft": 1.0}))
    source = tmp_path / "in.png"
    Image.new("RGB", (8, 8), (10, 20, 30)).save(source)
    args = ["-q", "apply", "sharpen", str(source), "-o", str(tmp_path / output)]
    unwanted = {"importlib.metadata", "hashlib", "multiprocessing", "concurrent"}
    assert modules_loaded_by_convcli(args, unwanted) == []
    assert (tmp_path / output).is_file()
    assert sorted((tmp_path / "cache" / "convcli").glob("calibration-*")) == [cached]


# -- shell completion -------------------------------------------------------------------------


def complete(run_convcli, words: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash completion offers for the last of ``words``, from the installed script."""
    parts = words.split()
    environment = {
        "_CONVCLI_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
        **(env or {}),
    }
    finished = run_convcli(script=True, env=environment)
    assert finished.returncode == 0, finished.stderr
    return finished.stdout.decode().split()


def test_completion_offers_the_sobel_kernels(run_convcli):
    """``convcli apply sob<TAB>`` offers every sobel kernel and nothing else."""
    offered = complete(run_convcli, "convcli apply sob")
    assert {"sobel", "sobel-x", "sobel-y", "sobel-diagonal", "sobel-antidiagonal"} <= set(offered)
    assert all(name.startswith("sob") for name in offered)


def test_completion_offers_generators_user_kernels_and_border_names(run_convcli, user_kernels):
    """Kernel completion includes generators and user kernels; --border completes aliases."""
    (user_kernels / "gaussian-mine.txt").write_text("1 2 1\n")
    offered = complete(run_convcli, "convcli kernels show gau")
    assert {"gaussian-3", "gaussian-mine", "gaussian:"} <= set(offered)
    assert complete(run_convcli, "convcli apply sharpen in.png --border rep") == ["replicate"]


# -- real runs --------------------------------------------------------------------------------


@pytest.mark.parametrize("script", [False, True], ids=["python -m convcli", "convcli script"])
def test_a_file_to_file_run_writes_the_golden_result_and_nothing_on_stdout(
    run_convcli, gray_png, tmp_path, script
):
    """``convcli apply sharpen in.png -o out.png``: the engine's rounded result, empty stdout."""
    out = tmp_path / "out.png"
    finished = run_convcli("apply", "sharpen", gray_png, "-o", out, script=script)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == b""
    np.testing.assert_array_equal(decode(out), golden(decode(gray_png), "sharpen"))


def test_a_pipe_gives_the_same_pixels_as_files(run_convcli, rgba_png, tmp_path):
    """``convcli apply box-3 - -o - < in.png > out.png`` equals the file-to-file result."""
    out = tmp_path / "out.png"
    assert run_convcli("apply", "box-3", rgba_png, "-o", out).returncode == 0
    piped = run_convcli("apply", "box-3", "-", "-o", "-", input=rgba_png.read_bytes())
    assert piped.returncode == 0, piped.stderr
    np.testing.assert_array_equal(decode_bytes(piped.stdout), decode(out))


def test_a_pipe_carries_only_data_on_stdout(run_convcli, gray_png):
    """With a clipping kernel, stdout is exactly a PNG and the warning is on stderr."""
    finished = run_convcli("apply", "laplacian-8", "-", "-o", "-", input=gray_png.read_bytes())
    assert finished.returncode == 0
    assert finished.stdout.startswith(b"\x89PNG")
    assert finished.stderr.decode().startswith("warning: ")
    assert len(finished.stderr.decode().splitlines()) == 1


def test_a_pipe_into_show(run_convcli, gray_png):
    """``apply ... -o - | show - --format json`` passes exact values down a pipe."""
    first = run_convcli("apply", "identity", gray_png, "-o", "-")
    second = run_convcli("show", "-", "--format", "json", input=first.stdout)
    assert second.returncode == 0, second.stderr
    values = np.array(json.loads(second.stdout)["values"])
    np.testing.assert_array_equal(values, decode(gray_png))


@pytest.mark.parametrize(
    "args, code, fragments",
    [
        (["apply", "identity", "missing.png", "-o", "out.png"], 1, ["missing.png"]),
        (["apply", "sharpn", "in.png", "-o", "out.png"], 1, ["did you mean sharpen"]),
        (["apply", "identity", "in.png", "-o", "out.png", "--stride", "0"], 2, ["--stride"]),
        (["apply", "identity", "in.png", "-o", "in.png"], 2, ["in.png", "overwrite"]),
        (["show", "in.png", "--as-array", "--region", "50,0,2,2"], 2, ["--region"]),
        (["nonsense"], 2, ["nonsense"]),
    ],
    ids=["missing input", "unknown kernel", "stride 0", "over the input", "region", "command"],
)
def test_errors_in_a_real_process(run_convcli, tmp_path, gray_png, args, code, fragments):
    """Exit code, one Error line, no traceback and an untouched folder, as a shell sees them."""
    gray_png.rename(tmp_path / "in.png")
    before = snapshot(tmp_path)
    finished = run_convcli(*args, cwd=tmp_path)
    assert finished.returncode == code
    error_line(finished.stderr.decode(), *fragments)
    assert finished.stdout == b""
    assert snapshot(tmp_path) == before


def test_convcli_debug_in_the_environment_shows_the_traceback(run_convcli, tmp_path):
    """CONVCLI_DEBUG=1 works like --debug."""
    (tmp_path / "bad.png").write_bytes(b"not a picture")
    finished = run_convcli(
        "apply", "identity", "bad.png", "-o", "out.png", cwd=tmp_path, env={"CONVCLI_DEBUG": "1"}
    )
    assert finished.returncode == 1
    assert "Traceback" in finished.stderr.decode()
    assert not (tmp_path / "out.png").exists()
