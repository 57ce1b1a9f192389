"""Whether a text a bookkeeper reads is written as plain sentences: what the explanation tests check."""

from __future__ import annotations

import re

_BAD = [
    (re.compile(r"\b(the|a|an|this|that)\s+(the|a|an|this|that)\b", re.I), "doubled article"),
    (re.compile(r"\ba\s+[aeioAEIO]"), "'a' before a vowel"),
    (re.compile(r"\ban\s+[bcdfgjklmnpqrstvwxz]"), "'an' before a consonant"),
    (re.compile(r"\bto \w+ing to\b"), "a verb used as a noun ('nothing to receiving to bill')"),
    (re.compile(r"\b(\w+)\s+\1\b", re.I), "doubled word"),
    (re.compile(r"\.\s+[a-z]"), "sentence not capitalised"),
]


def grammar_problems(text: str) -> list[str]:
    problems = [why for pattern, why in _BAD if pattern.search(text)]
    if not text[:1].isupper():
        problems.append("does not start with a capital letter")
    if not text.rstrip().removesuffix('"').endswith("."):
        problems.append("does not end with a full stop")
    # Quoted words are someone else's (QuickBooks', a setting's label): they may repeat ours.
    plain = re.sub(r'"[^"]*"', "QUOTED", text)
    words = re.findall(r"[a-z0-9']+", plain.lower())
    grams = [" ".join(words[i : i + 4]) for i in range(len(words) - 3)]
    repeated = {g for g in grams if grams.count(g) > 1}
    if repeated:
        problems.append(f"repeated clause: {sorted(repeated)}")
    return problems
