"""DTOs of the items feature: the Item wire shape generated from the SQLAlchemy model.

Litestar's counterpart of a DRF ``ModelSerializer``: a ``SQLAlchemyDTO`` over ``Item``, shaped
with ``DTOConfig`` and named per handler as ``return_dto=``. The inputs are msgspec Structs
(``items.schemas``): the concept map's ``dtos`` entry says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from advanced_alchemy.extensions.litestar import SQLAlchemyDTO, SQLAlchemyDTOConfig
from litestar.dto.data_structures import DTOFieldDefinition
from litestar.params import KwargDefinition
from litestar.typing import FieldDefinition

from items.models import Item
from items.schemas import PRICE_PATTERN

if TYPE_CHECKING:
    from collections.abc import Generator


class ItemReadDTO(SQLAlchemyDTO[Item]):
    """The Item wire shape (read side), generated from the model: ``DTOConfig`` excludes the
    attachments relationship and renames ``owner_id`` to ``owner``.

    Two adjustments a plain ``SQLAlchemyDTO`` cannot express: the price is documented as the
    contract's decimal string (``pattern``; the ``Decimal`` value is encoded as a string with
    its two places) and every field is ``required`` (a model default such as ``id``'s
    ``uuid4`` would otherwise make it optional in the schema; the response always has it).
    """

    config = SQLAlchemyDTOConfig(exclude={"attachments"}, rename_fields={"owner_id": "owner"})
    overrides: ClassVar[dict[str, Any]] = {
        "price": Annotated[str, KwargDefinition(pattern=PRICE_PATTERN)],
    }

    @classmethod
    def generate_field_definitions(
        cls, model_type: type[Any]
    ) -> Generator[DTOFieldDefinition, None, None]:
        for field in super().generate_field_definitions(model_type):
            definition = FieldDefinition.from_annotation(
                cls.overrides.get(field.name, field.raw), name=field.name
            )
            yield DTOFieldDefinition.from_field_definition(
                definition,
                model_name=field.model_name,
                default_factory=None,
                dto_field=field.dto_field,
            )
