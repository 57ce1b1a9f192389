#!/usr/bin/env bash
# Install the development dependencies and run the whole test suite against PostgreSQL and the
# embedded SQLite database. Starts the local PostgreSQL cluster if it is installed and down.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/venv.sh
. scripts/venv.sh
"$VENV/bin/python" -m pip install --quiet -e '.[dev]'

# The page tests (tests/browser) drive Debian's Chromium through Playwright; Playwright's own browser
# download is not used (it needs a host other than the package registries).
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's chromium for the page tests..."
        apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
    else
        echo "The page tests need Debian's chromium at /usr/bin/chromium: apt-get install -y chromium" >&2
        exit 1
    fi
fi

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

# Tools some tests run for real, from Debian's packages, installed when missing (as root, with apt);
# without one, its tests are skipped and the skip report says so.
install_tool() {  # <command> <package> <what for> [apt-get options...]
    local command="$1" package="$2" purpose="$3"
    shift 3
    if command -v "$command" >/dev/null 2>&1 || [ -x "/usr/sbin/$command" ] \
        || ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
        return 0
    fi
    echo "Installing $command (Debian package $package) for $purpose..."
    apt-get install -y -qq "$@" "$package" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" "$package" >/dev/null 2>&1; } \
        || echo "Could not install $command: $purpose will be skipped (see the skip report)." >&2
}
# Two instances behind a reverse proxy, and connection pooling (tests/operations).
install_tool caddy caddy "the scale-out tests"
install_tool pgbouncer pgbouncer "the connection pooling tests"
# The alert rules are checked and unit-tested with Prometheus' own promtool.
install_tool promtool prometheus "the alert rule tests" --no-install-recommends

"$VENV/bin/ruff" check .
# The layer table of docs/architecture.md ([tool.importlinter] in pyproject.toml) and the types.
"$VENV/bin/lint-imports"
"$VENV/bin/mypy"
"$VENV/bin/python" -m pytest "$@"
