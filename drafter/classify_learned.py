"""The stop-reason classifier's learned fallback: a linear model over character and word
n-grams, trained on the hand-labelled dev split (fixtures/train_stop_reason_model.py) and
shipped as weights in drafter/data/stop_reason_model.json. drafter reads them with the few lines
below (no scikit-learn, no download at run time); a test proves the probabilities equal
scikit-learn's for the same texts.

Why it exists: the rules read the phrasings they were written for, and on real texts they had
never seen they scored about 0.8 macro-F1 however often they were tuned (0.80, 0.86 and 0.79 on
three fresh draws). Most misses are failures of the drug said in words no rule reads, which the
rules call operational. So the model is asked only then, and only to say "efficacy" or
"safety" instead, when it is at least THRESHOLD sure; a success the rules read is never
overruled. How it scores against the rules alone on the test split: bench/bench_classify.py.

The arithmetic is scikit-learn's TfidfVectorizer (lower-cased; character n-grams inside word
boundaries, padded with one space; words of two or more word characters; term frequency 1 +
ln(count); times idf; each block scaled to unit length) followed by a multinomial logistic
regression (softmax of the linear scores)."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from drafter import bundled

MODEL_FILE = bundled.DATA / "stop_reason_model.json"
_WHITE_SPACES = re.compile(r"\s\s+")
_WORD = re.compile(r"(?u)\b\w\w+\b")


@dataclass(frozen=True)
class _Block:
    """One TF-IDF block: its analyzer, n-gram range and each term's [idf, weight per class]."""

    analyzer: str
    low: int
    high: int
    terms: dict[str, list[float]]

    def grams(self, text: str) -> list[str]:
        lowered = text.lower()
        grams: list[str] = []
        if self.analyzer == "char_wb":
            for word in _WHITE_SPACES.sub(" ", lowered).split():
                padded = f" {word} "
                for n in range(self.low, self.high + 1):
                    if len(padded) <= n:  # as scikit-learn: a short word counts once, whole
                        grams.append(padded)
                        break
                    grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
        else:
            words = _WORD.findall(lowered)
            for n in range(self.low, self.high + 1):
                grams += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
        return grams

    def weighted(self, text: str) -> dict[str, float]:
        """The text's known terms with their TF-IDF weight, scaled to unit length."""
        terms = self.terms
        weights = {
            term: (1.0 + math.log(count)) * terms[term][0]
            for term, count in Counter(self.grams(text)).items()
            if term in terms
        }
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {term: w / norm for term, w in weights.items()} if norm else {}


class LearnedModel:
    """The bundled model: probabilities per class for a text, and the terms that weighed."""

    def __init__(self, document: dict[str, object]) -> None:
        self.classes: list[str] = list(document["classes"])  # type: ignore[call-overload]
        self._intercept: list[float] = list(document["intercept"])  # type: ignore[call-overload]
        self.trained_on: dict[str, object] = dict(document["trained_on"])  # type: ignore[call-overload]
        self._blocks = [
            _Block(b["analyzer"], b["ngram_range"][0], b["ngram_range"][1], b["terms"])
            for b in document["blocks"]  # type: ignore[attr-defined]
        ]

    def probabilities(self, text: str) -> dict[str, float]:
        scores = list(self._intercept)
        for block in self._blocks:
            # the block's unit scaling is one division of its linear scores, done last
            terms = block.terms
            raw = [
                ((1.0 + math.log(count)) * row[0], row)
                for term, count in Counter(block.grams(text)).items()
                if (row := terms.get(term)) is not None
            ]
            norm = math.sqrt(sum(weight * weight for weight, _ in raw))
            if norm:
                for k in range(len(scores)):
                    scores[k] += sum(weight * row[k + 1] for weight, row in raw) / norm
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    def weighed_most(self, text: str, toward: str, against: str, count: int = 3) -> list[str]:
        """The terms that pushed the text most from `against` toward `toward` (words first:
        they read better than character n-grams in an explanation)."""
        to, away = self.classes.index(toward) + 1, self.classes.index(against) + 1
        pushes: list[tuple[float, int, str]] = []
        for rank, (block, weighted) in enumerate(self._weighted(text)):
            for term, weight in weighted.items():
                push = weight * (block.terms[term][to] - block.terms[term][away])
                if push > 0:
                    pushes.append((push, -rank, term.strip()))
        words = [t for _, rank, t in sorted(pushes, reverse=True) if rank == -1]
        grams = [t for _, rank, t in sorted(pushes, reverse=True) if rank == 0]
        return list(dict.fromkeys(words + grams))[:count]

    def _weighted(self, text: str) -> Iterator[tuple[_Block, dict[str, float]]]:
        for block in self._blocks:
            yield block, block.weighted(text)


@functools.cache
def bundled_model() -> LearnedModel:
    """The model shipped in drafter/data, read once per process."""
    return LearnedModel(bundled.read_json(MODEL_FILE))
