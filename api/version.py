"""``GET /api/v1/version``: which qbbridge answers, and where its database's schema stands."""

from __future__ import annotations

from fastapi import Request
from pydantic import Field

from api.auth import CurrentPrincipal, DbSession
from api.models import ApiModel
from api.routing import api_router
from db.migrate import schema_state

router = api_router(tags=["service"])


class VersionOut(ApiModel):
    version: str = Field(description="The qbbridge version serving this call.")
    schema_revision: str | None = Field(
        description="The migration the database's schema is at (null: never migrated)."
    )
    schema_head: str = Field(description="The migration this version of qbbridge needs the schema at.")


@router.get("/api/v1/version", response_model=VersionOut)
async def version(request: Request, session: DbSession, principal: CurrentPrincipal) -> VersionOut:
    """Authenticated like every admin call (any API key): the schema revision is an internal detail."""
    state = schema_state(session.connection())
    return VersionOut(version=request.app.version, schema_revision=state.current, schema_head=state.head)
