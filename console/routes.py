"""Putting the console, the support page and the offline API docs into the app."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from console import auth, docs_pages, imports, jobs, settings_page, support, tenants, web
from console.session import CookieSigner
from db.sealing import Keyring


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    return web.not_signed_in(request)


async def _not_found(request: Request, exc: Exception) -> Response:
    message = exc.what if isinstance(exc, web.NotFound) else "Not found."
    context = {"who": None, "heading": "Not found", "message": message}
    return web.page(request, "error.html", context, status_code=404)


async def _bad_csrf(request: Request, exc: Exception) -> Response:
    context = {
        "who": None,
        "heading": "This form has expired",
        "message": "The form came from an older page or another site, so nothing was done. Go back, "
        "reload the page and try again.",
    }
    return web.page(request, "error.html", context, status_code=403)


def install(app: FastAPI, keyring: Keyring) -> None:
    app.state.console_signer = CookieSigner(keyring.derive("console-session"))
    docs_pages.install(app)
    for router in (
        auth.router,
        tenants.router,
        jobs.router,
        settings_page.router,
        imports.router,
        support.router,
    ):
        app.include_router(router)
    app.add_exception_handler(web.NotSignedIn, _not_signed_in)
    app.add_exception_handler(web.NotFound, _not_found)
    app.add_exception_handler(web.BadCsrf, _bad_csrf)
