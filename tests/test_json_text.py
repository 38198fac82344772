"""model_json writes what json_text writes of a model's JSON dump, byte for byte (draft.json
and evidence.json are written with it, and their bytes must not depend on which of the two
wrote them): for any JSON data, floats of every magnitude, NaN and infinities, any text."""

from __future__ import annotations

import json
import math
from typing import Any

import pydantic_core
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from drafter.terminal import _floats_as_repr, json_text, model_json

JSON_DATA = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


class Holder(BaseModel):
    data: Any
    number: float
    numbers: list[float]


@settings(max_examples=300, deadline=None)
@given(JSON_DATA, st.floats(), st.lists(st.floats(), max_size=3))
def test_model_json_is_json_text_of_the_dump(
    data: Any, number: float, numbers: list[float]
) -> None:
    model = Holder(data=data, number=number, numbers=numbers)
    assert model_json(model) == json_text(model.model_dump(mode="json"))


@settings(max_examples=2000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_is_written_as_repr_writes_it(number: float) -> None:
    for document in (number, [number], {"key": number}, {"k": [1, {"x": number}]}):
        fast = pydantic_core.to_json(document, indent=2).decode()
        assert _floats_as_repr(fast) == json.dumps(document, indent=2)


def test_every_magnitude_of_float_is_written_as_repr_writes_it() -> None:
    for exponent in range(-324, 309):
        for mantissa in (1.0, 1.5, 9.999999999):
            number = mantissa * 10.0**exponent if exponent < 308 else mantissa * 1e308 / 10
            if not math.isfinite(number):
                continue
            model = Holder(data=None, number=-number, numbers=[number])
            assert model_json(model) == json_text(model.model_dump(mode="json"))


def test_only_numbers_are_rewritten_not_text_that_looks_like_them() -> None:
    text = '{\n  "note 0.00001": "dose 0.00001 mg, phase-2 and type-1e-5",\n  "1e-5": 0.000042\n}'
    assert _floats_as_repr(text) == text.replace("0.000042", "4.2e-05")
    assert _floats_as_repr("[\n  -0.00001,\n  1e-7\n]") == "[\n  -1e-05,\n  1e-07\n]"
    costs = {"calls": [{"cost_usd": 4.2e-05, "tokens": 120}] * 3}
    assert _floats_as_repr(pydantic_core.to_json(costs, indent=2).decode()) == json.dumps(
        costs, indent=2
    )


def test_unsafe_characters_and_text_pydantic_cannot_write_come_out_as_before() -> None:
    hostile = "\x1b[2J\u202eevil\u2028line\x7f\x85é—\U0001f600"
    model = Holder(data={"why": hostile, hostile: [hostile]}, number=0.5, numbers=[])
    assert model_json(model) == json_text(model.model_dump(mode="json"))
    assert "\x1b" not in model_json(model) and "\u202e" not in model_json(model)
    lone = Holder(data="\ud800", number=float("nan"), numbers=[float("-inf")])
    assert model_json(lone) == json_text(lone.model_dump(mode="json"))
