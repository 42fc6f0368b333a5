"""Small pieces every resource uses: a person's name, a bounded revision."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments.display import display_name

# Revisions are PositiveIntegerField: 32 bits on every database.
MAX_REVISION = 2**31 - 1


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        "required": ["id", "name"],
    }
)
class PersonField(serializers.Field):
    """A person as {"id", "name"}, or null (nobody, or a deleted account)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        return {"id": value.pk, "name": display_name(value)}

    def get_attribute(self, instance: Any) -> Any:
        # A null foreign key must reach to_representation (DRF skips None otherwise).
        try:
            return super().get_attribute(instance)
        except (AttributeError, KeyError):
            return None


def revision_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=MAX_REVISION, **kwargs)
