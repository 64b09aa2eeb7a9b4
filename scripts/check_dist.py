"""Check built distributions: nothing stray in the sdist, nothing missing from either.

    python scripts/check_dist.py DIST_DIR

Run by ./scripts/test's pkg part after `uv build --out-dir DIST_DIR`.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

# What an sdist may hold at its top level besides the package and its tests (hatchling
# always adds PKG-INFO and .gitignore).
SDIST_FILES = {"PKG-INFO", "pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", ".gitignore"}
SDIST_DIRS = ("src/steinresil/", "tests/")
SDIST_NEEDS = {"src/steinresil/__init__.py", "src/steinresil/py.typed", "tests/conftest.py"}
WHEEL_NEEDS = {"steinresil/__init__.py", "steinresil/py.typed", "steinresil/testing.py"}
NEVER = ("__pycache__", ".pyc", ".venv", ".pytest_cache", ".mypy_cache", ".hypothesis")


def sdist_problems(path: Path) -> list[str]:
    with tarfile.open(path) as sdist:
        names = [str(PurePosixPath(*PurePosixPath(m.name).parts[1:])) for m in sdist if m.isfile()]
    problems = [f"sdist: stray {name}" for name in names if not allowed(name)]
    problems += [f"sdist: missing {name}" for name in sorted(SDIST_NEEDS - set(names))]
    return problems


def allowed(name: str) -> bool:
    if any(part in name for part in NEVER):
        return False
    return name in SDIST_FILES or name.startswith(SDIST_DIRS)


def wheel_problems(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as wheel:
        names = set(wheel.namelist())
    problems = [f"wheel: missing {name}" for name in sorted(WHEEL_NEEDS - names)]
    problems += [
        f"wheel: stray {name}"
        for name in sorted(names)
        if not name.startswith(("steinresil/", "steinresil-")) or any(p in name for p in NEVER)
    ]
    return problems


def main(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    problems = sdist_problems(sdist) + wheel_problems(wheel)
    if problems:
        raise SystemExit("\n".join(problems))
    print(f"ok  {sdist.name}, {wheel.name}: nothing stray, nothing missing")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
