"""The campaign text against the checklist of its measures and targets (tests/campaign_checklist.yaml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

CHECKLIST = yaml.safe_load((Path(__file__).parent / "campaign_checklist.yaml").read_text(encoding="utf-8"))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def covering_texts(kb, kind: str) -> list[str]:
    if kind == "measure":
        return [m.source.quote for m in kb.all_measures()] + [b.quote for m in kb.all_measures() for b in m.branches]
    if kind == "target":
        return [t.source.quote for t in kb.campaign.targets.values()]
    if kind == "activity":
        return [a.title for a in kb.campaign.activities.values()]
    if kind == "city_action":
        return [c["source"].quote for c in kb.campaign.city_actions]
    raise AssertionError(f"unknown kind {kind}")


def test_checklist_is_not_trivial():
    kinds = {item["kind"] for item in CHECKLIST}
    assert kinds == {"measure", "target", "activity", "city_action"}
    assert len(CHECKLIST) >= 60


@pytest.mark.parametrize("item", CHECKLIST, ids=lambda i: f"{i['kind']}:{i['phrase']}")
def test_item_is_in_the_text_and_covered(kb, item):
    phrase = squash(item["phrase"]).replace("“", "").replace("”", "")
    text = squash(kb.campaign.text).replace("“", "").replace("”", "")
    assert phrase in text, "the checklist must quote the campaign text"
    covered = [t for t in covering_texts(kb, item["kind"]) if phrase in squash(t).replace("“", "").replace("”", "")]
    assert covered, f"no {item['kind']} in sectors/ quotes “{item['phrase']}”"
