# Sourced by scripts/run.sh and scripts/test.sh (from the repository root): the virtualenv both use.
# Python 3.11 by default; PYTHON=python3.12 (or 3.13) with VENV=.venv312 runs the same on a newer one.
PYTHON="${PYTHON:-python3.11}"
VENV="${VENV:-.venv}"
if ! "$PYTHON" -c 'import sys' >/dev/null 2>&1; then
    echo "qbbridge needs Python 3.11 or newer ($PYTHON not found). Install it, or set PYTHON=/path/to/python3.11." >&2
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null
