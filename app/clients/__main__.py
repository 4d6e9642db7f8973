"""``python -m app.clients``: regenerate the OpenAPI document and the Postman files."""

from __future__ import annotations

from app.clients import openapi, postman


def main() -> None:
    openapi.main()
    postman.main()


if __name__ == "__main__":
    main()
