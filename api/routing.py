"""Every admin API router: strict JSON bodies and the errors every operation can answer.

Routers are made with :func:`api_router`, so each operation reads its JSON body with
:func:`api.strict_json.decode_body` (FastAPI's own reading is kept for everything else: content
types, forms, validation) and documents 401, 413 and 422 with their models.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from api.errors import error_responses, unprocessable
from api.strict_json import BodyRefused, decode_body


class StrictJsonRequest(Request):
    """A request whose ``json()`` is :func:`decode_body`: a refused body is a 422 naming the field."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = decode_body(await self.body())
            except BodyRefused as exc:
                # An HTTPException passes FastAPI's body reading as it is (any other error there
                # becomes a 400 that says nothing of the field).
                raise unprocessable(exc.issues) from None
        return self._json


# An operation's common call served without FastAPI's handler; ``None`` when the request is anything
# else, before anything was done, and FastAPI's handler then serves it as every other.
DirectHandler = Callable[[Request], Awaitable[Response | None]]


class StrictJsonRoute(APIRoute):
    # Set by ``serve_directly`` on the routes whose common call is worth serving without FastAPI's
    # dependency solving (a third of an accepted send's CPU: docs/performance.md).
    direct: DirectHandler | None = None

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def strict_json_handler(request: Request) -> Response:
            strict = StrictJsonRequest(request.scope, request.receive)
            if self.direct is not None:
                response = await self.direct(strict)
                if response is not None:
                    return response
            # The same request object: a body the direct handler read is read once.
            return await handle(strict)

        return strict_json_handler


def serve_directly(router: APIRouter, path: str, direct: DirectHandler) -> None:
    """Serve the common call of ``router``'s operation at ``path`` (after the router's prefix) with
    ``direct``; FastAPI's handler serves every other call."""
    [route] = [
        route
        for route in router.routes
        if isinstance(route, StrictJsonRoute) and route.path == f"{router.prefix}{path}"
    ]
    route.direct = direct


def served_directly(routes: Iterable[Any]) -> list[StrictJsonRoute]:
    """The routes among ``routes`` whose common call is served directly."""
    return [route for route in routes if isinstance(route, StrictJsonRoute) and route.direct is not None]


def api_router(**kwargs: Any) -> APIRouter:
    """An ``APIRouter`` of the admin API (``kwargs`` as for ``APIRouter``)."""
    responses = {**error_responses(401, 413, 422), **kwargs.pop("responses", {})}
    return APIRouter(route_class=StrictJsonRoute, responses=responses, **kwargs)
