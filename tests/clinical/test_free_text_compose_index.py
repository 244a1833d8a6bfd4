"""Issue 13: the compositional model looks for a sentence's rules under the categories
it has (each rule filed under one of its own): the same answer as trying every rule
(whether any can fire, and which, in order)."""

from __future__ import annotations

import random

from inscope_clinical import free_text_compose as compose


def test_may_fire_is_some_rule_needing_only_categories_present() -> None:
    comp = compose.compiled()
    rnd = random.Random(13)
    masks = list(comp.need_masks)
    for need in comp.need_masks:  # each rule with each of its categories left out
        masks += [need & ~(1 << c) for c in range(need.bit_length()) if need >> c & 1]
    masks += [rnd.getrandbits(len(comp.categories)) & rnd.getrandbits(len(comp.categories))
              for _ in range(3000)]
    fired = 0
    for maybe in masks:
        every = any(need & maybe == need for need in comp.need_masks)
        assert compose._may_fire(comp, maybe) == every, bin(maybe)
        assert compose.firing(comp, maybe) == [
            r for r, (need, unless) in enumerate(zip(comp.need_masks, comp.unless_masks,
                                                     strict=True))
            if need & maybe == need and not unless & maybe], bin(maybe)
        fired += every
    assert 0 < fired < len(masks)


def test_every_rule_is_filed_under_one_of_its_categories() -> None:
    comp = compose.compiled()
    filed = [(c, need) for c, needs in comp.need_by_category.items() for need in needs]
    assert sorted(need for _, need in filed) == sorted(set(comp.need_masks))
    assert all(need >> c & 1 for c, need in filed)
