"""A statement's plan as PostgreSQL runs it for the service: the generic plan of a prepared statement.

The service's statements are prepared once per connection and run many times (db/batch.py; psycopg
prepares SQLAlchemy's after a few runs), so PostgreSQL soon plans each once for every parameter value.
``EXPLAIN`` with bound parameters sends an unnamed statement, which is planned for those values each
time and would hide a generic plan's mistakes; here the statement is prepared by name, and run with
``plan_cache_mode = force_generic_plan``. Used by the query-plan tests and by ``bench/``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from db import batch
from db.engine import Database


def driver_url(database: Database | str) -> str:
    """The database's URL (or a SQLAlchemy URL) as psycopg takes it."""
    url = make_url(database) if isinstance(database, str) else database.engine.url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def explained(database: Database, sql: str, params: dict[str, Any], runs: int = 1) -> list[dict[str, Any]]:
    """``EXPLAIN (ANALYZE, FORMAT JSON)`` of ``sql`` (``:name`` parameters) run ``runs`` times as the
    generic plan of a statement prepared once on one connection, with ``params``; what each run writes
    is rolled back. Each run's whole document: ``Plan`` and ``Execution Time`` (ms)."""
    # The service's own numbering of ``:name`` parameters as ``$1``, ``$2``… (db/batch.py).
    statement = batch.Statement(sql)
    names = statement.param_names
    positional = statement.positional_sql
    documents: list[dict[str, Any]] = []
    with psycopg.connect(driver_url(database)) as connection:
        connection.execute("SET plan_cache_mode = force_generic_plan")
        # Timestamps typed as the service declares them (db/batch.py); the rest inferred from the SQL.
        types = ", ".join(
            "timestamptz" if isinstance(params[name], dt.datetime) else "unknown" for name in names
        )
        connection.execute(
            f"PREPARE probe ({types}) AS {positional}" if names else f"PREPARE probe AS {positional}"
        )
        connection.commit()  # the statement outlives the runs' rollbacks
        # The values as literals of EXECUTE's own: its arguments cannot be parameters themselves.
        arguments = f"({', '.join(['%s'] * len(names))})" if names else ""
        cursor = psycopg.ClientCursor(connection)
        for _ in range(runs):
            [[document]] = cursor.execute(
                f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE probe{arguments}", [params[name] for name in names]
            ).fetchall()
            connection.rollback()
            documents.append((json.loads(document) if isinstance(document, str) else document)[0])
    return documents


def executed_plan(database: Database, sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The plan of ``explained``: its top node, with every node's actual rows, loops and rows removed."""
    plan: dict[str, Any] = explained(database, sql, params)[0]["Plan"]
    return plan
