"""Client ecosystem: the OpenAPI document, the Postman collection and the routes serving ``/docs``.

The documents are generated from botocore's service model (the same source as ``api_models``) by
``python -m app.clients`` (``make generate``) and checked in under ``openapi/`` and ``postman/``.
"""
