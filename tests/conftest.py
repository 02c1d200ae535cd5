"""Shared test settings: every test runs with an empty user kernel library and plain colours."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the developer's own kernels, config and colour settings out of every test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    for name in ("CONVCLI_KERNEL_PATH", "FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def user_kernels(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A folder on CONVCLI_KERNEL_PATH, for tests that add kernels to the library."""
    folder = tmp_path / "user-kernels"
    folder.mkdir()
    monkeypatch.setenv("CONVCLI_KERNEL_PATH", str(folder))
    return folder
