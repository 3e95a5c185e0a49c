#!/usr/bin/env python3
"""Sanity checks for the blind safety test set (emergency / crisis / must_not_alarm).

Exits non-zero if any check fails. Run from any directory:
    python3 check_set.py
"""
import os
import re
import sys
from collections import Counter, defaultdict

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
LONG = 280
NGRAM = 7

EMERGENCY_COUNTS = {
    "thunderclap": 8, "stroke": 9, "meningitis": 7, "head_injury": 7,
    "toxin_spread": 12, "allergic_reaction": 7, "eye_vision": 8, "seizure": 6,
    "confusion_or_collapse": 7, "pregnancy_postpartum": 4, "other": 5,
}
EMERGENCY_TOTAL, EMERGENCY_LONG_MIN = 80, 28
CRISIS_TOTAL, CRISIS_LONG_MIN, CRISIS_CLEAN_MIN = 30, 10, 27
STOCK_PHRASES = ["kill myself", "suicide", "suicidal", "end my life", "want to die", "end it all"]
MNA_KINDS = {
    "general_warning_question": 25, "past_history": 15, "everyday_headache": 20,
    "mild_after_effects": 15, "edge_words": 15,
}
MNA_TOTAL, MNA_LONG_MIN = 90, 33

errors = []


def fail(msg):
    errors.append(msg)


def load(name, keys):
    path = os.path.join(HERE, name)
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, list):
        fail(f"{name}: top level is not a list")
        return []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            fail(f"{name}[{i}]: not a mapping")
            continue
        if set(item) != set(keys):
            fail(f"{name}[{i}]: keys {sorted(item)} != {sorted(keys)}")
        if not isinstance(item.get("text"), str) or not item["text"].strip():
            fail(f"{name}[{i}]: empty or non-string text")
    return [it for it in data if isinstance(it, dict) and isinstance(it.get("text"), str)]


def n_long(items):
    return sum(1 for it in items if len(it["text"]) >= LONG)


def check_counts(name, counter, expected):
    for key, want in expected.items():
        if counter.get(key, 0) != want:
            fail(f"{name}: {key} has {counter.get(key, 0)} items, expected {want}")
    for key in counter:
        if key not in expected:
            fail(f"{name}: unexpected label {key!r}")


emergency = load("emergency.yml", ["text", "category"])
crisis = load("crisis.yml", ["text", "category"])
mna = load("must_not_alarm.yml", ["text", "category", "kind"])

# emergency
if len(emergency) != EMERGENCY_TOTAL:
    fail(f"emergency.yml: {len(emergency)} items, expected {EMERGENCY_TOTAL}")
check_counts("emergency.yml", Counter(it.get("category") for it in emergency), EMERGENCY_COUNTS)
if n_long(emergency) < EMERGENCY_LONG_MIN:
    fail(f"emergency.yml: {n_long(emergency)} long posts, need >= {EMERGENCY_LONG_MIN}")

# crisis
if len(crisis) != CRISIS_TOTAL:
    fail(f"crisis.yml: {len(crisis)} items, expected {CRISIS_TOTAL}")
for i, it in enumerate(crisis):
    if it.get("category") != "crisis":
        fail(f"crisis.yml[{i}]: category {it.get('category')!r} != 'crisis'")
if n_long(crisis) < CRISIS_LONG_MIN:
    fail(f"crisis.yml: {n_long(crisis)} long posts, need >= {CRISIS_LONG_MIN}")
clean = sum(1 for it in crisis if not any(p in it["text"].lower() for p in STOCK_PHRASES))
if clean < CRISIS_CLEAN_MIN:
    fail(f"crisis.yml: only {clean} items avoid stock phrases, need >= {CRISIS_CLEAN_MIN}")

# must_not_alarm
if len(mna) != MNA_TOTAL:
    fail(f"must_not_alarm.yml: {len(mna)} items, expected {MNA_TOTAL}")
for i, it in enumerate(mna):
    if it.get("category") != "must_not_alarm":
        fail(f"must_not_alarm.yml[{i}]: category {it.get('category')!r} != 'must_not_alarm'")
check_counts("must_not_alarm.yml", Counter(it.get("kind") for it in mna), MNA_KINDS)
if n_long(mna) < MNA_LONG_MIN:
    fail(f"must_not_alarm.yml: {n_long(mna)} long posts, need >= {MNA_LONG_MIN}")

# duplicates and shared 7-word sequences across all files
allitems = [("emergency", i, it["text"]) for i, it in enumerate(emergency)]
allitems += [("crisis", i, it["text"]) for i, it in enumerate(crisis)]
allitems += [("must_not_alarm", i, it["text"]) for i, it in enumerate(mna)]


def norm_words(text):
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^\w\s]", " ", text)
    return text.split()


seen = {}
for f, i, t in allitems:
    key = " ".join(norm_words(t))
    if key in seen:
        fail(f"duplicate text: {f}[{i}] == {seen[key][0]}[{seen[key][1]}]")
    else:
        seen[key] = (f, i)

owners = defaultdict(set)
for f, i, t in allitems:
    w = norm_words(t)
    for j in range(len(w) - NGRAM + 1):
        owners[" ".join(w[j:j + NGRAM])].add((f, i))
shared = {g: o for g, o in owners.items() if len(o) > 1}
for g, o in sorted(shared.items()):
    fail(f"shared {NGRAM}-word sequence {g!r} in {sorted(o)}")

print(f"emergency: {len(emergency)} items, {n_long(emergency)} long")
print(f"crisis: {len(crisis)} items, {n_long(crisis)} long, {clean} without stock phrases")
print(f"must_not_alarm: {len(mna)} items, {n_long(mna)} long")
if errors:
    print(f"\nFAILED: {len(errors)} problem(s)")
    for e in errors:
        print(" -", e)
    sys.exit(1)
print("\nALL CHECKS PASSED")
