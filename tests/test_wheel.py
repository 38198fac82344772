"""The package as a user installs it: a wheel built from this checkout, installed (not editable)
into a fresh virtual environment and run from a directory outside the repository, offline.

The wheel's own dependencies are not downloaded: the fresh environment sees this test
environment's site-packages through a .pth line (a plain path, so the editable install's
import hooks there are never run), which keeps the test offline while `drafter` itself can
only come from the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the sources, so the build leaves nothing in the checkout."""
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "drafter-src"
    for package in ("drafter", "prompts"):
        shutil.copytree(
            REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--verbose",  # the build backend's warnings, kept in build.log beside the wheel
            "--wheel-dir",
            str(out),
            str(source),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_NO_INDEX": "1"},
    )
    assert built.returncode == 0, built.stderr
    (out / "build.log").write_text(built.stdout + built.stderr)
    [found] = out.glob("drafter-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel installed; yields its bin directory."""
    home = tmp_path_factory.mktemp("fresh-venv")
    venv.EnvBuilder(with_pip=True).create(home)
    python = home / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    yield home / "bin"


def test_the_wheel_holds_the_bundled_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "drafter/data/curated_facts.json",
        "drafter/data/seed_claims.jsonl",
        "drafter/data/snapshot/ctgov/manifest.json",
        "drafter/data/snapshot/ctgov/study_NCT05591222.json",
        "drafter/data/snapshot/opentargets/manifest.json",
        "drafter/py.typed",
    ):
        assert needed in names
    assert not any(name.startswith(("tests/", "fixtures/")) for name in names)


def run_installed(bin_dir: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(cwd),
        "DRAFTER_DB": str(cwd / "claims.sqlite3"),
        "DRAFTER_CACHE_DIR": str(cwd / "cache"),
        "DRAFTER_CONFIG": str(cwd / "config.toml"),
        "NO_COLOR": "1",
    }
    (cwd / "config.toml").touch()
    return subprocess.run(
        [str(bin_dir / "drafter"), *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_installed_wheel_works_offline_from_another_directory(
    installed: Path, tmp_path: Path
) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c", "import drafter; print(drafter.__file__)"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(str(installed.parent)), where  # the wheel, not this checkout

    fetched = run_installed(installed, tmp_path, "fetch", "NCT05591222", "--offline", "--json")
    assert fetched.returncode == 0, fetched.stderr
    assert '"ctgov:NCT05591222:enrollment"' in fetched.stdout
    assert str(REPO) not in fetched.stdout + fetched.stderr

    scored = run_installed(
        installed,
        tmp_path,
        "mrs",
        "--target",
        "LILRA4",
        "--disease",
        "discoid lupus erythematosus",
        "--as-of",
        "2026-05-20",
        "--offline",
    )
    assert scored.returncode == 0, scored.stderr
    assert "MRS 33/100 (YELLOW)" in scored.stdout

    listed = run_installed(installed, tmp_path, "claims", "list", "--target", "LILRA4")
    assert listed.returncode == 0, listed.stderr
    assert "NCT05591222" in listed.stdout and "daxdilimab" in listed.stdout

    drafted = run_installed(
        installed,
        tmp_path,
        "draft",
        "NCT05591222",
        "--offline",
        "--writer",
        "offline",
        "--as-of",
        "2026-05-20",
        "--out",
        "drafts",
    )
    assert drafted.returncode == 0, drafted.stderr
    article = (tmp_path / "drafts" / "NCT05591222" / "draft.md").read_text()
    assert "## What was tried" in article and "33 / 100 (YELLOW)" in article


def test_every_python_package_on_disk_is_listed_for_the_wheel() -> None:
    """pyproject lists packages by hand (prompts/ installs as drafter.prompts): a new package
    that is not listed would be missing from every install."""
    import tomllib

    listed = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "drafter").rglob("__init__.py")
    }
    on_disk |= {
        "drafter." + ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "prompts").rglob("__init__.py")
    }
    assert listed == on_disk


def test_the_build_warns_of_no_data_directory(wheel: Path) -> None:
    """`make demo` and `make test` install with pip, which shows the build backend's warnings:
    data directories (drafter/data/snapshot/ctgov, drafter/templates) read as packages missing
    from the list printed a screenful of setuptools warnings before the demo's first line."""
    log = (wheel.parent / "build.log").read_text()
    assert "is absent from the `packages` configuration" not in log
    assert "Package would be ignored" not in log


def test_the_wheel_holds_the_prompts(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"drafter/prompts/system.j2", "drafter/prompts/sections/_facts.j2"} <= names
    assert "drafter/prompts/sections/what_was_tried.j2" in names


def test_the_wheel_holds_every_template(wheel: Path) -> None:
    """review.html inlines review.css and review.js: package data by their own patterns."""
    names = set(zipfile.ZipFile(wheel).namelist())
    on_disk = {
        f"drafter/templates/{path.name}" for path in (REPO / "drafter" / "templates").iterdir()
    }
    assert "drafter/templates/review.js" in on_disk and on_disk <= names
