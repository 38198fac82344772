"""What a model call cost, in US dollars, for the models whose price could be checked.

Prices are USD per 1M tokens (input, output), standard tier, read on 2026-11-28. The publisher
is OpenAI's pricing page, https://platform.openai.com/docs/pricing (now
https://developers.openai.com/api/docs/pricing), which could not be opened from where this
table was written; each price below was checked against at least two public pages quoting it:
  https://deploybase.ai/articles/openai-pricing ("data from OpenAI pricing page, March 2026")
  https://deploybase.ai/articles/gpt-4.1-pricing
  https://chatgptpricing-akr.pages.dev/api-pricing (source: developers.openai.com/api/docs/pricing)
  https://www.promptunit.ai/blog/gpt-4o-mini-pricing-guide
  https://losclouds.com/ai-models/gpt-4o-mini and /gpt-4-1, /gpt-4-1-nano
Models whose sources disagree (o3, o3-mini: prices were cut during 2025) or that only one
page listed are left out: their cost is unknown (None), never a guess and never $0.

A dated snapshot is priced only when listed: the date matters (gpt-4o-2024-05-13 cost twice
what gpt-4o-2024-08-06 costs). Cached input tokens are billed lower by OpenAI; every prompt
token is counted at the input price here, so a cost is an upper bound.
"""

from __future__ import annotations

from typing import NamedTuple

from drafter.writers.base import Usage

PRICES_READ_ON = "2026-11-28"
_PER_TOKENS = 1_000_000


class Price(NamedTuple):
    input_per_million: float
    output_per_million: float


PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o-mini-2024-07-18": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-2024-08-06": Price(2.50, 10.00),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-2025-04-14": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-mini-2025-04-14": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4.1-nano-2025-04-14": Price(0.10, 0.40),
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
}


def cost_usd(model: str, usage: Usage) -> float | None:
    """The call's cost, or None when the model's price or the token counts are unknown (a
    local model, a new snapshot, a server that reports no usage)."""
    price = PRICES.get(model.strip().lower())
    if price is None or usage.prompt_tokens is None or usage.completion_tokens is None:
        return None
    return (
        usage.prompt_tokens * price.input_per_million
        + usage.completion_tokens * price.output_per_million
    ) / _PER_TOKENS
