"""What the two declared file formats (instrument YAML, assessment JSON) share.

Both are pydantic models judged strictly (a file's own types: "true" is not true, "1.5" is not
a number), with no unknown fields and no NaN or infinity, and both publish a JSON Schema
generated from those models, so that an author's editor checks a file while it is typed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict


def absent() -> Any:
    """No value: a field that may be left out but, when written, may not be null."""
    return None


class StrictFormat(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        allow_inf_nan=False,
        # Patterns are judged by Python's engine: the option pattern looks ahead, and
        # spaces are what `str.strip` sees.
        regex_engine="python-re",
    )


def published_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of a format, as published."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **model.model_json_schema(by_alias=True),
    }


def schema_text(model: type[BaseModel]) -> str:
    """The published file's exact text."""
    return json.dumps(published_schema(model), indent=2, ensure_ascii=False) + "\n"


def write_schema(model: type[BaseModel], path: Path) -> bool:
    """Write the published schema; True when the file changed."""
    text = schema_text(model)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
