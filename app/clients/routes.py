"""``GET /openapi.json`` (the generated AWS-surface document) and ``GET /docs`` (Swagger UI, offline)."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

router = APIRouter()

# The Swagger UI files /docs needs, served from the swagger-ui-bundle package: no CDN involved.
SWAGGER_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}

DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>msf-local: kinesisanalyticsv2 API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      tryItOutEnabled: true,
      displayOperationId: true,
      defaultModelsExpandDepth: 0,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  </script>
</body>
</html>
"""


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    from app.clients.openapi import build_document  # the service model's documentation: on first use

    return build_document()


@router.get("/openapi.json", include_in_schema=False)
def openapi_json(request: Request) -> JSONResponse:
    """The OpenAPI document, its server being the address this request reached."""
    document = copy.copy(_document())
    document["servers"] = [{"url": str(request.base_url).rstrip("/")}]
    return JSONResponse(document)


@router.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    """Swagger UI for the document at /openapi.json; "Try it out" posts to this service."""
    return HTMLResponse(DOCS_PAGE)


def _asset_route(name: str, media_type: str) -> None:
    """Serve one of Swagger UI's own files at ``/docs/static/<name>`` (a fixed path per file)."""

    def asset() -> FileResponse:
        from swagger_ui_bundle import swagger_ui_path  # only /docs needs the package, on first use

        return FileResponse(swagger_ui_path / name, media_type=media_type)

    router.add_api_route(f"/docs/static/{name}", asset, methods=["GET"], include_in_schema=False)


for _name, _media_type in SWAGGER_ASSETS.items():
    _asset_route(_name, _media_type)
