"""Shared test fixtures: the repository root and the real-data folder beside it."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-data folder (../shared/data); tests that need it skip with a clear reason where it is absent."""
    if not DATA.is_dir():
        pytest.skip(f"real data folder {DATA} is absent (it ships beside the repository in CI, not in a fresh clone)")
    return DATA
