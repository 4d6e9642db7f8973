"""The committed api_models are exactly what the generator produces from the installed botocore."""

from __future__ import annotations

from pathlib import Path

from api_models.generate import generate
from api_models.operations import OPERATIONS

API_MODELS = Path(__file__).resolve().parents[2] / "api_models"


def test_committed_models_match_a_fresh_generation() -> None:
    for name, text in generate().items():
        committed = (API_MODELS / name).read_text()
        assert committed == text, f"api_models/{name} is stale: run `make generate`"


def test_all_41_operations_are_in_the_dispatch_table() -> None:
    assert len(OPERATIONS) == 41
    assert OPERATIONS["CreateApplication"].method == "create_application"
    assert OPERATIONS["CreateApplication"].input_model.__name__ == "CreateApplicationRequest"
