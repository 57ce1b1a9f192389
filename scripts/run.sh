#!/usr/bin/env bash
# Install qbbridge and run it on its embedded default database (a SQLite file under ./var).
# Prints where it listens and, on first start, the admin API key. Extra arguments go to `qbbridge serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "qbbridge needs Python 3.11 ($PYTHON not found). Install it, or set PYTHON=/path/to/python3.11." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/qbbridge serve "$@"
