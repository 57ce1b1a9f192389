#!/usr/bin/env bash
# Install the development dependencies and run the whole test suite against PostgreSQL and the
# embedded SQLite database. Starts the local PostgreSQL cluster if it is installed and down.
set -euo pipefail
cd "$(dirname "$0")/.."

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
"$VENV/bin/python" -m pip install --quiet -e '.[dev]'

# PostgreSQL: QBBRIDGE_TEST_POSTGRES_URL points at a server where tests may create databases.
export QBBRIDGE_TEST_POSTGRES_URL="${QBBRIDGE_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
if ! "$VENV/bin/python" - <<'PY' 2>/dev/null
import os, sys
import psycopg
url = os.environ["QBBRIDGE_TEST_POSTGRES_URL"].replace("postgresql+psycopg://", "postgresql://")
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception:
    sys.exit(1)
PY
then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        version="$(ls /etc/postgresql | sort -V | tail -n 1)"
        echo "Starting the local PostgreSQL $version cluster..."
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        for _ in $(seq 1 30); do
            pg_isready -q -h 127.0.0.1 -p 5432 && break
            sleep 1
        done
    else
        echo "PostgreSQL is not reachable at $QBBRIDGE_TEST_POSTGRES_URL and no local cluster is installed." >&2
        echo "Install PostgreSQL 15+ (Debian: apt-get install postgresql) or set QBBRIDGE_TEST_POSTGRES_URL." >&2
        exit 1
    fi
fi

# The scale-out test puts two instances behind a real reverse proxy: Caddy, from Debian's package.
if ! command -v caddy >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "Installing Caddy (Debian package) for the scale-out test..."
    apt-get install -y -qq caddy >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq caddy >/dev/null 2>&1; } \
        || echo "Could not install Caddy: the scale-out test will be skipped (see the skip report)." >&2
fi

"$VENV/bin/ruff" check .
"$VENV/bin/python" -m pytest "$@"
