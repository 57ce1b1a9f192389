#!/usr/bin/env bash
# Install qbbridge and run it on its embedded default database (a SQLite file under ./var).
# Prints where it listens and, on first start, the admin API key. Extra arguments go to `qbbridge serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/venv.sh
. scripts/venv.sh
"$VENV/bin/python" -m pip install --quiet -e .
exec "$VENV/bin/qbbridge" serve "$@"
