#!/usr/bin/python3
"""The client's tests as ctest runs them (tests/CMakeLists.txt: client_python, client_python_mypy).

    run.py          copies clients/python to a temporary directory, makes a venv there with
                    Debian's site packages (python3-redis, python3-setuptools), installs the copy
                    with `pip install --no-index --no-build-isolation` (offline, as README.md
                    says), and runs tests/test_*.py with the venv's python, so the tests import
                    the installed package, against the dkv-server of DKV_SERVER (on the
                    PostgreSQL backend with DKV_TEST_BACKEND=postgres and DKV_PG_DSN, as
                    tests/pylib/dkv_fixture.py reads them).
    run.py --mypy   mypy --strict over the package (Debian's python3-mypy); exit 77 (skipped)
                    without mypy unless DKV_REQUIRE_MYPY is set.
"""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.realpath(__file__))
PKG = os.path.dirname(HERE)


def run(argv, **kw):
    print("+", " ".join(argv), flush=True)
    return subprocess.run(argv, **kw).returncode


def mypy():
    try:
        import mypy  # noqa: F401
    except ImportError:
        if os.environ.get("DKV_REQUIRE_MYPY"):
            print("mypy not found (Debian package python3-mypy; scripts/setup --test)")
            return 1
        print("skipped: no mypy (Debian package python3-mypy)")
        return 77
    with tempfile.TemporaryDirectory(prefix="dkv-pyclient-mypy-") as cache:
        return run([sys.executable, "-m", "mypy", "--config-file",
                    os.path.join(PKG, "pyproject.toml"), "--cache-dir", cache,
                    os.path.join(PKG, "src", "dataknobs_kv")], cwd=PKG, timeout=600)


def tests():
    if os.environ.get("DKV_TEST_BACKEND") == "postgres" and not os.environ.get("DKV_PG_DSN"):
        print("skipped: DKV_TEST_BACKEND=postgres needs DKV_PG_DSN (scripts/test sets it)")
        return 77
    with tempfile.TemporaryDirectory(prefix="dkv-pyclient-") as tmp:
        copy = os.path.join(tmp, "dataknobs-kv")
        shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns(
            "build", "*.egg-info", "__pycache__", ".venv", "tests"))
        venv = os.path.join(tmp, "venv")
        if run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", venv]) != 0:
            return 1
        python = os.path.join(venv, "bin", "python")
        if run([python, "-m", "pip", "install", "--no-index", "--no-build-isolation",
                "--disable-pip-version-check", "-q", copy], timeout=300) != 0:
            return 1
        # From the tests directory: `import dataknobs_kv` finds the installed copy only.
        return run([python, "-m", "unittest", "discover", "-v", "-s", HERE, "-t", HERE,
                    "-p", "test_*.py"], cwd=HERE, timeout=600)


if __name__ == "__main__":
    sys.exit(mypy() if "--mypy" in sys.argv else tests())
