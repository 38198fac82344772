"""How a model is asked for a reply of the output model's shape, per DRAFTER_STRUCTURED_OUTPUT.

* strict: OpenAI's `json_schema` with `strict: true`, built by the openai SDK's
  `type_to_response_format_param` (what `chat.completions.parse` sends: OpenAI's own reading of
  the strict rules), once per output model rather than on every call as parse() does.
* json_schema: the same envelope without `strict`, for servers that constrain decoding by a
  schema but reject or ignore OpenAI's strict rules (vLLM, llama.cpp, Ollama, LM Studio).
* json_object: only "some JSON" is enforced, so the schema is written into the system message;
  the weakest mode, for servers that know nothing better.

Whatever the mode, the reply is validated by pydantic on our side: a 200 proves nothing (some
servers accept a schema and silently ignore it).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from openai.lib import type_to_response_format_param
from openai.types.chat import ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat
from pydantic import BaseModel

from drafter.config import StructuredOutput
from drafter.writers.base import Message

_DEFS = "#/$defs/"


def output_schema(output: type[BaseModel]) -> dict[str, Any]:
    """The output model's JSON schema with every `$ref` replaced by what it names: llama.cpp
    and some vLLM backends mishandle `$defs`, and the output models are not recursive."""
    schema = output.model_json_schema()
    definitions = schema.pop("$defs", {})
    inlined: dict[str, Any] = _inline(schema, definitions, ())
    return inlined


def _inline(node: Any, definitions: dict[str, Any], path: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, definitions, path) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if not (isinstance(reference, str) and reference.startswith(_DEFS)):
        return {key: _inline(value, definitions, path) for key, value in node.items()}
    name = reference.removeprefix(_DEFS)
    if name in path:
        raise ValueError(f"a recursive output model cannot be inlined ({' → '.join(path)})")
    siblings = {key: value for key, value in node.items() if key != "$ref"}
    target = _inline(definitions[name], definitions, (*path, name))
    return {**target, **_inline(siblings, definitions, path)}


@functools.cache
def response_format(mode: StructuredOutput, output: type[BaseModel]) -> ResponseFormat:
    """The request's `response_format`, built once per mode and output model (a schema takes
    pydantic a few milliseconds to write, and a draft asks for the same few models again and
    again). Callers only read it: it goes to the wire as JSON."""
    if mode == "strict":
        return type_to_response_format_param(output)  # type: ignore[return-value]
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {
                "name": output.__name__,
                "schema": output_schema(output),
                "strict": False,
            },
        }
    return {"type": "json_object"}


def schema_instruction(output: type[BaseModel]) -> str:
    """What json_object mode adds to the system message, since the server enforces no shape."""
    schema = json.dumps(output_schema(output), ensure_ascii=False, separators=(",", ":"))
    return (
        "Reply with exactly one JSON object and nothing else: no prose, no code fence. "
        f"It must validate against this JSON schema:\n{schema}"
    )


def chat_messages(
    mode: StructuredOutput, messages: list[Message], output: type[BaseModel]
) -> list[ChatCompletionMessageParam]:
    """The request's messages for the SDK; in json_object mode the schema joins the system
    message (a new one first when the request has none)."""
    wire = [_wire(message.role, message.content) for message in messages]
    if mode != "json_object":
        return wire
    instruction = schema_instruction(output)
    if messages and messages[0].role == "system":
        return [_wire("system", f"{messages[0].content}\n\n{instruction}"), *wire[1:]]
    return [_wire("system", instruction), *wire]


def _wire(role: str, content: str) -> ChatCompletionMessageParam:
    if role == "system":
        return {"role": "system", "content": content}
    if role == "assistant":
        return {"role": "assistant", "content": content}
    return {"role": "user", "content": content}
