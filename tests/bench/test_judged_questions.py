"""The hand-judged sample of generated questions (bench/eval/judged-questions.yaml) is complete
and its recorded figures are the ones its items add up to: every item names its document,
style, kind, stem, key and section, carries the three verdicts, and gives a reason for each
"no"; every item is grounded, and the sample spans at least four item styles."""

import re
from pathlib import Path

import yaml

JUDGED = Path(__file__).resolve().parents[2] / "bench" / "eval" / "judged-questions.yaml"
FIELDS = ("document", "style", "kind", "stem", "options", "key", "section")
KINDS = {"single", "multiple", "true_false", "short_answer", "numeric", "fill_blank"}


def test_the_judged_sample_is_complete_and_its_figures_add_up():
    text = JUDGED.read_text(encoding="utf-8")
    items = yaml.safe_load(text)["items"]
    assert len(items) >= 30
    for item in items:
        assert all(field in item for field in FIELDS), item
        assert item["kind"] in KINDS
        assert item["plausible"] in ("yes", "no", "n/a")
        assert item["unambiguous"] in ("yes", "no") and item["grounded"] in ("yes", "no")
        if "no" in (item["plausible"], item["unambiguous"], item["grounded"]):
            assert item.get("reason"), item["stem"]
    judged = [i for i in items if i["plausible"] != "n/a"]
    recorded = re.search(
        r"n (\d+); plausible (\d+)/(\d+); unambiguous (\d+)/(\d+); grounded (\d+)/(\d+); "
        r"styles (\d+)",
        text,
    )
    assert recorded, "the header records the figures"
    assert [int(g) for g in recorded.groups()] == [
        len(items),
        sum(i["plausible"] == "yes" for i in judged),
        len(judged),
        sum(i["unambiguous"] == "yes" for i in items),
        len(items),
        sum(i["grounded"] == "yes" for i in items),
        len(items),
        len({i["style"] for i in items}),
    ]
    assert all(i["grounded"] == "yes" for i in items)
    assert len({i["style"] for i in items}) >= 4
