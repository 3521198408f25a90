"""The item form of the HTML pages: the JSON API's rules for a URL-encoded browser form.

A ``ModelForm`` over ``Item`` whose fields are declared to match the API serializers
(``items/schemas.py``): the name 1..100 characters, the description up to 2000 (an empty
one is stored as ``null``), the price a decimal string matching ``PRICE_PATTERN`` and not
negative. Strings are not trimmed (as in the API); NUL characters are refused (Django's
form ``CharField`` adds ``ProhibitNullCharactersValidator``).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from compat.validation import FullMatchRegexValidator
from items.models import Item
from items.schemas import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, PRICE_PATTERN

PRICE_INVALID = 'Enter a price such as "12.50".'
PRICE_NEGATIVE = "Ensure this value is greater than or equal to 0."


class ItemForm(forms.ModelForm):
    """Create and edit an item (the owner is the logged-in user, never a form field)."""

    name = forms.CharField(min_length=1, max_length=NAME_MAX_LENGTH, strip=False)
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        strip=False,
        empty_value=None,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # A CharField, not the model's DecimalField: the API's pattern (no exponent, no
    # localisation, no surrounding spaces), then a Decimal for the model.
    price = forms.CharField(
        strip=False, validators=[FullMatchRegexValidator(PRICE_PATTERN, message=PRICE_INVALID)]
    )

    class Meta:
        model = Item
        fields = ("name", "description", "price")

    def clean_price(self) -> Decimal:
        value = Decimal(self.cleaned_data["price"])
        if value < 0:
            raise forms.ValidationError(PRICE_NEGATIVE, code="negative")
        return value.copy_abs()  # "-0.00" is zero, as in the API
