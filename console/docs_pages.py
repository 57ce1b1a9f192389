"""``/docs`` (Swagger UI) and ``/redoc``, served from the assets vendored under ``console/static``.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a machine without internet they stay
blank. Here every asset comes from this service: ``/static/vendor/…`` (each with its licence).
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"
VENDOR = f"{STATIC_URL}/vendor"

# Swagger UI in a page of our own (FastAPI's has no language and options that fail axe):
# the settings and the few colours changed for accessibility are in swagger-ui-page.js and .css.
_SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Swagger UI</title>
<link rel="icon" type="image/png" href="{vendor}/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="{vendor}/swagger-ui/swagger-ui.css">
<link rel="stylesheet" href="{static}/swagger-ui-page.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi_url}">
<noscript><p>Swagger UI needs JavaScript; the same contract is at
<a href="{openapi_url}">{openapi_url}</a>.</p></noscript>
</div>
<script src="{vendor}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="{static}/swagger-ui-page.js"></script>
</body>
</html>
"""

# ReDoc's side menu always shows Redocly's logo, loaded from their CDN: offline that is a failed
# request and an error in the browser's console. Any image address on another host is replaced by an
# empty image before the browser sees it, whether ``src`` is set as an attribute or a property.
_REDOC_PAGE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - ReDoc</title>
<link rel="icon" type="image/png" href="{vendor}/swagger-ui/favicon-32x32.png">
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>ReDoc needs JavaScript; the same contract is at
<a href="{openapi_url}">{openapi_url}</a>.</noscript>
<script>
(function () {{
  var EMPTY = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";
  function local(value) {{
    return /^(https?:)?\/\//i.test(String(value)) ? EMPTY : value;
  }}
  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {{
    if (this instanceof HTMLImageElement && String(name).toLowerCase() === "src") {{
      value = local(value);
    }}
    return setAttribute.call(this, name, value);
  }};
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {{
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {{ src.set.call(this, local(value)); }}
  }});
}})();
</script>
<div id="redoc-container"></div>
<script src="{vendor}/redoc/redoc.standalone.js"></script>
<script>
Redoc.init("{openapi_url}", {{}}, document.getElementById("redoc-container"));
</script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve the static assets and the two documentation pages (the app is built with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        page = _SWAGGER_PAGE.format(
            title=html.escape(app.title), vendor=VENDOR, static=STATIC_URL, openapi_url=openapi_url
        )
        return HTMLResponse(page)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(_REDOC_PAGE.format(title=app.title, vendor=VENDOR, openapi_url=openapi_url))
