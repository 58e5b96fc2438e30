"""Story identity on a small hand-made client: items clustered by event, not by the names they share."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from vectora_core.models import ClientConfig, Entity, EventRule, NormalizedItem, Scopes, Section, Source, WatchDomain
from vectora_core.scoring import score_item
from vectora_core.stories import (
    SAME_SOURCE_EXTRA,
    SAME_STORY,
    bar,
    cluster,
    cluster_stories,
    evidence,
    facts,
    ruled_out,
    same_story,
)

END = datetime(2026, 11, 25, 12, tzinfo=UTC)
SCOPES = Scopes(
    version="t1",
    companies=(
        Entity("MedinCell", ("MedinCell",), "pure_player"),
        Entity("Camurus", ("Camurus",), "pure_player"),
        Entity("Teva", ("Teva",), "big_pharma"),
        Entity("ViiV Healthcare", ("ViiV Healthcare", "ViiV"), "big_pharma"),
        Entity("Indivior", ("Indivior",), "pure_player"),
    ),
    molecules=(
        Entity("risperidone", ("risperidone",)),
        Entity("olanzapine", ("olanzapine",)),
        Entity("cabotegravir", ("cabotegravir",)),
        Entity("buprenorphine", ("buprenorphine",)),
    ),
    trademarks=(
        Entity("UZEDY", ("UZEDY",), "Teva"),
        Entity("TEV-749", ("TEV-749",), "Teva"),
        Entity("CABENUVA", ("Cabenuva",), "ViiV Healthcare"),
        Entity("APRETUDE", ("Apretude",), "ViiV Healthcare"),
        Entity("Brixadi", ("Brixadi",), "Camurus"),
        Entity("Buvidal", ("Buvidal",), "Camurus"),
        Entity("PERSERIS", ("PERSERIS",), "Indivior"),
        Entity("SUBLOCADE", ("SUBLOCADE",), "Indivior"),
    ),
    technologies=(),
    event_types=(
        EventRule("regulatory", ("approves",), 3.0),
        EventRule("clinical", ("trial",), 2.0),
        EventRule("financing", ("acquire",), 1.8),
        EventRule("partnership", ("license",), 2.0),
        EventRule("other", (), 0.5),
    ),
)
CLIENT = ClientConfig(
    client_id="t",
    name="T",
    language="en",
    default_period_days=7,
    sources=(
        Source("press", "Press", "https://e.com/p", "company", 1.2),
        Source("trade", "Trade", "https://e.com/t", "trade_press"),
        Source("agency", "Agency", "https://e.com/a", "regulator", 1.5),
    ),
    watch_domains=(
        WatchDomain("all", "All", companies=("MedinCell", "Camurus", "Teva", "ViiV Healthcare"), trademarks=("UZEDY",)),
    ),
    sections=(
        Section("regulatory", "Regulatory", ("regulatory",), 4),
        Section("clinical", "Clinical", ("clinical",), 4),
        Section("deals", "Deals", ("partnership", "financing"), 4),
        Section("rest", "Other", ("other",), 3),
    ),
    min_score=0.0,
    scopes=SCOPES,
)


def item(item_id: str, source_id: str, title: str, summary: str, **changes) -> NormalizedItem:
    fields = dict(
        item_id=item_id,
        source_id=source_id,
        url=f"https://e.com/{item_id}",
        title=title,
        published=END - timedelta(days=1),
        content_hash="h",
        summary=summary,
        event_type="regulatory",
        companies=("Teva",),
        molecules=(),
        trademarks=(),
        technologies=(),
        backend="offline",
        significance="major",
    )
    fields.update(changes)
    return NormalizedItem(**fields)


# The same approval, told by the company and by the regulator in other words.
COMPANY = item(
    "company",
    "press",
    "Teva Announces FDA Approval of UZEDY for Bipolar I Disorder",
    "Teva said the FDA approved UZEDY, its monthly risperidone injection, for adults with bipolar I disorder.",
    molecules=("risperidone",),
    trademarks=("UZEDY",),
)
AGENCY = item(
    "agency",
    "agency",
    "FDA Approves Monthly Injection for Maintenance Treatment of Bipolar I Disorder",
    "The FDA today approved Uzedy (risperidone) extended-release injectable suspension for bipolar I disorder.",
    companies=(),
    molecules=("risperidone",),
    trademarks=("UZEDY",),
    published=END - timedelta(days=1, hours=3),
)


def test_the_same_approval_told_by_the_company_and_the_regulator_is_one_story():
    assert same_story(COMPANY, AGENCY, CLIENT)


def test_copies_more_than_three_days_apart_are_different_stories():
    assert not same_story(
        COMPANY, AGENCY.__class__(**{**AGENCY.__dict__, "published": END - timedelta(days=5)}), CLIENT
    )


def test_an_undated_copy_is_not_held_to_the_three_days():
    undated = NormalizedItem(**{**AGENCY.__dict__, "published": END + timedelta(days=3), "dated": False})
    assert same_story(COMPANY, undated, CLIENT)


def test_a_product_in_a_headline_and_another_in_a_summary_are_different_stories():
    # An expanded HIV-treatment indication for one product, and payers' coverage of another one the same week.
    label = item(
        "label",
        "agency",
        "FDA Approves Expanded Use of Long-Acting HIV Regimen",
        "The FDA approved an expanded indication for Cabenuva (cabotegravir and rilpivirine) injections.",
        companies=("ViiV Healthcare",),
        molecules=("cabotegravir",),
        trademarks=("CABENUVA",),
    )
    payers = item(
        "payers",
        "trade",
        "Insurers tighten prior authorization for ViiV's Apretude",
        "Insurers added prior authorization for Apretude, ViiV Healthcare's cabotegravir injection for HIV PrEP.",
        companies=("ViiV Healthcare",),
        molecules=("cabotegravir",),
        trademarks=("APRETUDE",),
        event_type="other",
        significance="none",
    )
    assert ruled_out(facts(label, CLIENT), facts(payers, CLIENT)) == "different products"
    assert not same_story(label, payers, CLIENT)


def test_products_named_only_as_context_in_summaries_do_not_part_a_story():
    # The same acquisition; each outlet names a different product of the target in passing.
    one = item(
        "one",
        "trade",
        "Novo Nordisk bets $2.5B on Camurus' depot technology",
        "Novo Nordisk is paying about $2.5 billion for Camurus, whose depots underpin Brixadi.",
        companies=("Camurus",),
        trademarks=("Brixadi",),
        event_type="financing",
    )
    other = item(
        "other",
        "press",
        "Novo Nordisk swoops for Camurus in a drug-delivery deal",
        "Novo Nordisk agreed to acquire Camurus for $2.5 billion, bringing in the technology behind Buvidal.",
        companies=("Camurus",),
        trademarks=("Buvidal",),
        event_type="financing",
    )
    assert ruled_out(facts(one, CLIENT), facts(other, CLIENT)) == ""
    assert same_story(one, other, CLIENT)


def test_two_products_of_one_company_approved_the_same_week_are_different_stories():
    other_product = item(
        "olanzapine",
        "trade",
        "FDA approves Teva's olanzapine injection TEV-749",
        "The FDA approved Teva's monthly olanzapine injection TEV-749 for schizophrenia.",
        molecules=("olanzapine",),
        trademarks=("TEV-749",),
    )
    assert not same_story(COMPANY, other_product, CLIENT)


def test_decisions_of_different_regulators_are_different_stories():
    europe = item(
        "ema",
        "trade",
        "EMA validates Teva's application for UZEDY in bipolar I disorder",
        "The EMA validated Teva's application for UZEDY (risperidone) in bipolar I disorder.",
        molecules=("risperidone",),
        trademarks=("UZEDY",),
        significance="notable",
    )
    assert ruled_out(facts(COMPANY, CLIENT), facts(europe, CLIENT)) == "different regulators"


def test_events_of_different_kinds_are_different_stories():
    data = NormalizedItem(**{**AGENCY.__dict__, "event_type": "clinical", "significance": "notable"})
    assert ruled_out(facts(COMPANY, CLIENT), facts(data, CLIENT)) == "different kinds of event"


def test_a_major_event_beside_a_minor_one_is_two_stories():
    poster = NormalizedItem(**{**AGENCY.__dict__, "significance": "minor"})
    assert ruled_out(facts(COMPANY, CLIENT), facts(poster, CLIENT)) == "a major event beside a minor one"


def test_a_copy_whose_event_was_not_recognised_joins_on_strong_evidence():
    french = item(
        "fr",
        "trade",
        "MedinCell : la FDA approuve UZEDY dans le trouble bipolaire",
        "MedinCell annonce que Teva a obtenu l'approbation de la FDA pour UZEDY (risperidone).",
        companies=("MedinCell", "Teva"),
        molecules=("risperidone",),
        trademarks=("UZEDY",),
        event_type="other",
        significance="none",
    )
    assert same_story(COMPANY, french, CLIENT)


def test_one_company_s_deals_with_two_partners_the_same_week_are_two_stories():
    first = item(
        "first",
        "press",
        "MedinCell signs a license agreement for its long-acting injectable with Lundbeck",
        "MedinCell signed a license agreement for a long-acting injectable candidate with Lundbeck.",
        companies=("MedinCell",),
        event_type="partnership",
        significance="notable",
    )
    second = NormalizedItem(
        **{
            **first.__dict__,
            "item_id": "second",
            "source_id": "trade",
            "title": "MedinCell signs a license agreement for its long-acting injectable with Sanofi",
            "summary": "MedinCell signed a license agreement for another long-acting injectable candidate with Sanofi.",
        }
    )
    assert not same_story(first, second, CLIENT)


def test_a_second_item_of_one_source_needs_more_evidence():
    retold = NormalizedItem(**{**AGENCY.__dict__, "source_id": "press"})
    assert bar(facts(COMPANY, CLIENT), facts(retold, CLIENT)) == SAME_STORY + SAME_SOURCE_EXTRA
    assert bar(facts(COMPANY, CLIENT), facts(AGENCY, CLIENT)) == SAME_STORY


def test_headlines_naming_the_same_two_parties_tell_one_story_even_from_one_source():
    bid = item(
        "bid",
        "trade",
        "Novo Nordisk moves to buy Camurus for $2.5B",
        "Novo Nordisk has launched an all-cash bid for Camurus, valuing it at roughly $2.5 billion.",
        companies=("Camurus",),
        event_type="financing",
    )
    shares = item(
        "shares",
        "trade",
        "Camurus shares jump 48% after Novo's buyout bid",
        "Shares of Camurus closed up 48 percent in Stockholm after the takeover offer from Novo Nordisk.",
        companies=("Camurus",),
        event_type="financing",
    )
    assert same_story(bid, shares, CLIENT)


def test_an_amount_in_other_words_is_the_same_amount():
    english = facts(
        item("en", "trade", "Novo buys Camurus", "Novo pays $2.5B for Camurus.", event_type="financing"), CLIENT
    )
    french = facts(
        item("fr", "press", "Novo achète Camurus", "Novo paie 2,5 milliards de dollars.", event_type="financing"),
        CLIENT,
    )
    assert english.amounts == french.amounts == frozenset({("$", 2500)})


def test_a_roundup_naming_two_products_does_not_chain_their_stories():
    roundup = item(
        "roundup",
        "agency",
        "Meeting highlights: two monthly injections recommended",
        "The committee recommended UZEDY (risperidone) and TEV-749 (olanzapine), both monthly injections.",
        companies=("Teva",),
        molecules=(),
        trademarks=("UZEDY", "TEV-749"),
    )
    olanzapine = item(
        "olz",
        "trade",
        "Teva's TEV-749 recommended",
        "Teva's monthly injection TEV-749 was recommended by the committee.",
        trademarks=("TEV-749",),
    )
    uzedy = item("uzd", "trade", "Teva's UZEDY recommended", "Teva's monthly UZEDY was recommended by the committee.")
    uzedy = NormalizedItem(**{**uzedy.__dict__, "trademarks": ("UZEDY",), "source_id": "press"})
    groups = cluster([roundup, olanzapine, uzedy], CLIENT)
    assert not any({1, 2} <= set(group) for group in groups)


def test_a_story_is_led_by_its_best_item_with_every_link_and_coverage_points():
    lead, copy = score_item(AGENCY, CLIENT, END, 7), score_item(COMPANY, CLIENT, END, 7)
    assert lead.score > copy.score
    (story,), joined = cluster_stories([copy, lead], CLIENT)
    assert joined == 1 and story.item.item_id == "agency" and story.merged_ids == ("company",)
    assert story.links == (("agency", "https://e.com/agency"), ("press", "https://e.com/company"))
    assert story.breakdown["coverage"] == 0.5 and story.score == round(lead.score + 0.5, 3)


def test_an_item_alone_keeps_its_score_and_no_coverage():
    alone = score_item(COMPANY, CLIENT, END, 7)
    (story,), joined = cluster_stories([alone], CLIENT)
    assert joined == 0 and story.score == alone.score and "coverage" not in story.breakdown


def test_a_product_one_headline_names_and_the_other_never_mentions_tells_two_stories():
    # One press office, two days: a product discontinued to focus on another, and a supply deal for that other one.
    discontinued = item(
        "perseris",
        "press",
        "Indivior to discontinue PERSERIS in the U.S. to focus on SUBLOCADE",
        "Indivior will stop promoting and manufacturing PERSERIS and focus on SUBLOCADE.",
        companies=("Indivior",),
        trademarks=("PERSERIS", "SUBLOCADE"),
        event_type="other",
        significance="none",
        published=END - timedelta(days=6),
    )
    supply = item(
        "supply",
        "press",
        "Indivior signs long-term fill-finish supply agreement for SUBLOCADE",
        "Indivior signed a multi-year manufacturing agreement for SUBLOCADE prefilled syringes.",
        companies=("Indivior",),
        trademarks=("SUBLOCADE",),
        event_type="other",
        significance="none",
        published=END - timedelta(days=5),
    )
    assert not same_story(discontinued, supply, CLIENT)


def test_a_company_and_its_own_product_are_not_two_parties():
    # Both headlines name Indivior and SUBLOCADE: one company and its product, already counted, not a buyer and its
    # target, so no "two parties" evidence.
    titles = ("Indivior expands SUBLOCADE supply", "Indivior studies SUBLOCADE in pregnancy")
    one, other = (
        item(str(i), "press", title, "Indivior news.", companies=("Indivior",), trademarks=("SUBLOCADE",))
        for i, title in enumerate(titles)
    )
    fa, fb = facts(one, CLIENT), facts(other, CLIENT)
    assert fa.parties & fb.parties == {"indivior", "sublocade"} and not fa.outside_parties
    assert evidence(fa, fb) == evidence(fa, dataclasses.replace(fb, parties=frozenset(), outside_parties=frozenset()))


def test_a_capitalised_word_opening_a_headline_is_no_party():
    roundup = facts(item("r", "agency", "Meeting highlights from the committee on approvals", "Two approvals."), CLIENT)
    buyer = facts(item("b", "trade", "Novo Nordisk moves to buy Camurus", "A bid.", companies=("Camurus",)), CLIENT)
    assert "meeting" not in roundup.parties and buyer.parties == {"novo", "camurus"}


# --- generic retellings, a regulator's molecule, parties named in the other's text ----------------------------

PAYERS = dataclasses.replace(
    CLIENT,
    sections=(*CLIENT.sections, Section("access", "Access", ("market_access",), 3)),
    scopes=dataclasses.replace(SCOPES, event_types=(*SCOPES.event_types, EventRule("market_access", ("covers",), 1.5))),
)


def _coverage(item_id, source_id, title, summary, companies, trademarks=(), **changes):
    return item(
        item_id,
        source_id,
        title,
        summary,
        companies=companies,
        trademarks=trademarks,
        event_type="market_access",
        significance="notable",
        **changes,
    )


def test_a_retelling_that_names_the_products_only_by_their_makers_is_one_story():
    named = _coverage(
        "named",
        "trade",
        "Medicaid coverage of Cabenuva and Uzedy starts in Ohio",
        "Ohio's Medicaid program began covering Cabenuva and UZEDY for its members, the state said.",
        ("ViiV Healthcare", "Teva"),
        ("CABENUVA", "UZEDY"),
    )
    general = _coverage(
        "general",
        "press",
        "Ohio opens Medicaid coverage of long-acting drugs under negotiated prices",
        "Medicaid coverage of long-acting injectables from ViiV Healthcare and Teva started this week at agreed prices.",
        ("ViiV Healthcare", "Teva"),
    )
    assert same_story(named, general, PAYERS)


def test_a_retelling_naming_other_companies_than_the_products_makers_is_another_story():
    price_cut = _coverage(
        "price",
        "trade",
        "Teva lowers the price Ohio Medicaid pays for UZEDY",
        "Teva will cut the price Ohio's Medicaid program pays for UZEDY, its long-acting injectable, this week.",
        ("Teva",),
        ("UZEDY",),
    )
    general = _coverage(
        "general",
        "press",
        "Ohio opens Medicaid coverage of long-acting drugs under negotiated prices",
        "Medicaid coverage of long-acting injectables from ViiV Healthcare and Teva started this week at agreed prices.",
        ("ViiV Healthcare", "Teva"),
    )
    assert not same_story(price_cut, general, PAYERS)


REGULATOR_NOTICE = item(
    "notice",
    "agency",
    "FDA Approves Higher Dose of Risperidone Injection for Schizophrenia",
    "The agency today approved a higher dose of risperidone extended-release injectable suspension for adults.",
    companies=(),
    molecules=("risperidone",),
)


def test_a_regulators_notice_naming_the_molecule_and_the_makers_release_are_one_story():
    release = item(
        "release",
        "press",
        "Teva wins approval of a higher UZEDY dose",
        "Teva said a higher dose of UZEDY injection is now approved for schizophrenia in adults.",
        molecules=("risperidone",),
        trademarks=("UZEDY",),
    )
    assert same_story(REGULATOR_NOTICE, release, CLIENT)


def test_a_notice_naming_one_molecule_of_a_combination_is_not_the_combination_s_story():
    combination = item(
        "combination",
        "press",
        "Teva wins FDA approval of a higher TEV-749 dose for schizophrenia",
        "Teva said the FDA approved a higher dose of TEV-749, its risperidone and olanzapine injection, for adults.",
        molecules=("risperidone", "olanzapine"),
        trademarks=("TEV-749",),
    )
    assert not same_story(REGULATOR_NOTICE, combination, CLIENT)


def test_a_party_the_other_item_names_in_its_text_is_not_another_partner():
    # One readout: one headline calls the use "PrEP", the other "HIV prevention"; the first one's text says HIV.
    prep = item(
        "prep",
        "trade",
        "ViiV's every-four-months cabotegravir holds up in a PrEP trial",
        "ViiV Healthcare said the formulation met the goal of a phase 3 HIV prevention trial.",
        companies=("ViiV Healthcare",),
        molecules=("cabotegravir",),
        event_type="clinical",
    )
    hiv = item(
        "hiv",
        "press",
        "ViiV's four-monthly HIV prevention jab meets its phase 3 goal",
        "The investigational cabotegravir injection was as effective as the current one, the company said.",
        companies=("ViiV Healthcare",),
        molecules=("cabotegravir",),
        event_type="clinical",
    )
    fa, fb = facts(prep, CLIENT), facts(hiv, CLIENT)
    assert fa.outside_parties == {"prep"} and fb.outside_parties == {"hiv"}
    no_parties = dataclasses.replace(fb, outside_parties=frozenset())
    assert evidence(fa, fb) == evidence(fa, no_parties) and same_story(prep, hiv, CLIENT)


def test_two_companies_shared_say_more_than_one():
    one = facts(item("a", "press", "Deal news", "Teva and MedinCell news.", companies=("Teva", "MedinCell")), CLIENT)
    other = facts(item("b", "trade", "Deal news", "Teva and MedinCell news.", companies=("Teva", "MedinCell")), CLIENT)
    alone = dataclasses.replace(other, companies=frozenset({"Teva"}))
    assert evidence(one, other) - evidence(one, alone) == 1.0


def test_capitalised_words_of_a_sentence_case_headline_are_names_but_not_of_a_title_case_one():
    sentence_case = facts(item("s", "trade", "State opens Medicare coverage of shots", "Coverage starts."), CLIENT)
    title_case = facts(item("t", "trade", "FDA Approves Higher Dose of Risperidone", "Approved."), CLIENT)
    assert "Medicare" in sentence_case.names and not {"Approves", "Higher", "Dose"} & title_case.names
