"""Story identity piece by piece: the facts read from one item, what rules a pair out, each kind of evidence, and
how pairs become stories."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from test_stories import CLIENT, COMPANY, END, item

from vectora_core import stories
from vectora_core.models import Section
from vectora_core.scoring import Candidate
from vectora_core.stories import (
    SAME_STORY,
    UNTYPED_EXTRA,
    Facts,
    _amounts,
    _headline_product_missing,
    _mentions,
    _names,
    _parties,
    _sentence_case,
    anchored,
    bar,
    cluster,
    cluster_stories,
    evidence,
    facts,
    ruled_out,
    section_for,
)

DAY = 86400.0
NOON = datetime(2026, 11, 24, 12, tzinfo=UTC).timestamp()


def told(**fields) -> Facts:
    """The facts of an undated item of an unrecognised event that names nothing: each test adds what the pair
    shares."""
    empty = frozenset()
    base = dict(
        source_id="press",
        event_type="other",
        section_id="rest",
        significance=0,
        timestamp=NOON,
        dated=False,
        products=empty,
        title_products=empty,
        makers=empty,
        context_products=empty,
        molecules=empty,
        companies=empty,
        regulators=empty,
        names=empty,
        parties=empty,
        outside_parties=empty,
        mentions=empty,
        amounts=empty,
        words=empty,
    )
    base.update({k: frozenset(v) if isinstance(v, set | tuple) else v for k, v in fields.items()})
    return Facts(**base)


TEVA = told(companies={"Teva"}, dated=True)


# --- amounts ---------------------------------------------------------------------------------------------------


def test_currency_codes_are_read_as_their_symbols():
    text = "Raises US$40 million; USD 40 million; EUR 40 million; GBP 40 million; SEK 40 million"
    assert _amounts(text) == {("$", 40), ("€", 40), ("£", 40), ("SEK", 40)}


def test_billions_in_words_or_abbreviated_are_thousands_of_millions():
    assert _amounts("a $1.2 billion deal") == _amounts("a $1.2bn deal") == {("$", 1200)}
    assert _amounts("2,5 Milliarden Euro") == {("€", 2500)}


def test_millions_are_counted_as_they_are():
    assert _amounts("Camurus raises €40 million") == {("€", 40)}
    assert _amounts("une levée de 40 millions d'euros") == {("€", 40)}


# --- names, parties, mentions, headline case --------------------------------------------------------------------


def test_a_name_in_the_headline_alone_is_a_name():
    assert "UZEDY" in _names("FDA Approves UZEDY for Bipolar I Disorder", "The approval covers adults.")


def test_a_possessive_is_no_part_of_a_name_with_either_apostrophe():
    names = _names("Label Update", "The label of UZEDY's injection and CAMURUS’s depot changed, said Camurus.")
    assert {"UZEDY", "CAMURUS", "Camurus"} <= names and not {n for n in names if "'" in n or "’" in n}


def test_regulators_and_two_letter_words_are_no_names_but_three_letters_are():
    names = _names("Label Update", "The FDA cleared the GSK and AZ filings.")
    assert "GSK" in names and not {"FDA", "AZ"} & names


def test_a_possessive_is_no_part_of_a_mention():
    assert {"novo", "camurus"} <= _mentions("Novo's bid for Camurus’s depots")


def test_a_headline_with_a_four_letter_lower_case_word_is_in_sentence_case():
    assert _sentence_case("FDA OKs UZEDY dose")


def test_a_lower_case_word_in_parentheses_does_not_make_a_title_case_headline_sentence_case():
    assert not _sentence_case("FDA Approves UZEDY (risperidone) For Bipolar I Disorder")


def test_a_nationality_is_dropped_from_the_front_of_a_party():
    assert _parties("Swedish Camurus agrees to the Novo Nordisk takeover", ()) == {"camurus", "novo"}


def test_a_regulator_is_no_party():
    assert _parties("Investors cheer FDA nod for Teva's Uzedy", ()) == {"teva"}


def test_a_capitalised_name_in_parentheses_is_no_party():
    assert _parties("Teva files its monthly shot (Risperidone ER) in the EU", ()) == set()


def test_a_two_letter_capital_word_is_no_party():
    assert _parties("MedinCell trial adds an IV arm", ()) == set()


# --- the facts of one item ---------------------------------------------------------------------------------------


def test_an_unrecognised_event_has_no_significance_whatever_was_assigned():
    untyped = item("u", "trade", "Teva update", "News.", event_type="other", significance="notable")
    assert facts(untyped, CLIENT).significance == 0


def test_a_recognised_event_without_significance_ranks_zero():
    assert facts(item("n", "trade", "Teva update", "News.", significance="none"), CLIENT).significance == 0


def test_makers_are_those_of_the_headline_s_products_only():
    release = item("r", "press", "Teva wins UZEDY approval", "It follows TEV-749.", trademarks=("UZEDY", "TEV-749"))
    assert facts(release, CLIENT).makers == {("UZEDY", "Teva")}


SECTIONED = dataclasses.replace(
    CLIENT, sections=(Section("regulatory", "Regulatory", ("regulatory",), 4), Section("misc", "Misc", (), 3))
)


def test_an_event_type_belongs_to_its_section():
    assert section_for("regulatory", SECTIONED) == "regulatory"


def test_an_event_type_of_no_section_goes_to_the_catch_all_section():
    assert section_for("clinical", SECTIONED) == "misc"


def test_without_a_catch_all_section_an_unplaced_event_has_none():
    assert section_for("market_access", CLIENT) == ""


# --- what rules a pair out ---------------------------------------------------------------------------------------


def test_exactly_three_days_apart_is_still_one_week_s_story():
    assert ruled_out(TEVA, dataclasses.replace(TEVA, timestamp=NOON + 3 * DAY)) == ""


def test_three_days_and_a_second_apart_is_too_far():
    assert ruled_out(TEVA, dataclasses.replace(TEVA, timestamp=NOON + 3 * DAY + 1)) == "days apart"


def test_different_molecules_rule_a_pair_out():
    assert ruled_out(told(molecules={"risperidone"}), told(molecules={"olanzapine"})) == "different molecules"


def test_different_companies_rule_a_pair_out():
    assert ruled_out(told(companies={"Teva"}), told(companies={"Camurus"})) == "different companies"


# --- what anchors a pair -----------------------------------------------------------------------------------------


def test_a_pair_sharing_no_who_or_what_is_not_anchored():
    full = told(
        products={"UZEDY"},
        context_products={"UZEDY"},
        molecules={"risperidone"},
        companies={"Teva"},
        amounts={("$", 40)},
    )
    assert not anchored(full, told()) and not anchored(told(), full)


def test_a_shared_product_anchors_a_pair():
    assert anchored(told(products={"UZEDY"}), told(products={"UZEDY"}))


def test_a_shared_amount_anchors_a_pair():
    assert anchored(told(amounts={("$", 40)}), told(amounts={("$", 40)}))


def test_both_headlines_naming_the_same_two_parties_anchor_a_pair():
    assert anchored(told(parties={"novo", "camurus"}), told(parties={"novo", "camurus", "stockholm"}))


def test_an_unanchored_pair_has_no_evidence():
    assert evidence(told(words={"approval"}), told(words={"approval"})) == 0.0


# --- each kind of evidence ---------------------------------------------------------------------------------------


def test_a_product_one_names_and_the_other_mentions_further_down_weighs_two():
    assert evidence(told(products={"UZEDY"}), told(context_products={"UZEDY"})) == 2.0


def test_a_shared_product_and_molecule_add_up():
    both = told(products={"UZEDY"}, molecules={"risperidone"})
    assert evidence(both, both) == 3.0 + 1.5


def test_a_molecule_one_item_alone_names_weighs_nothing():
    assert evidence(told(companies={"Teva"}, molecules={"risperidone"}), told(companies={"Teva"})) == 1.0


def test_companies_shared_count_up_to_two():
    three = told(companies={"Teva", "MedinCell", "Camurus"})
    assert evidence(three, three) == 2.0


def test_a_shared_regulator_weighs_one_and_one_named_by_one_item_nothing():
    fda = told(companies={"Teva"}, regulators={"FDA"})
    assert evidence(fda, fda) == 2.0 and evidence(fda, dataclasses.replace(fda, regulators=frozenset())) == 1.0


def test_the_same_recognised_event_weighs_one_and_two_unrecognised_ones_nothing():
    untyped = told(companies={"Teva"})
    typed = told(companies={"Teva"}, event_type="regulatory", section_id="regulatory")
    assert evidence(typed, typed) == 2.0 and evidence(untyped, untyped) == 1.0


def test_a_shared_amount_weighs_two_and_one_named_by_one_item_nothing():
    deal = told(companies={"Camurus"}, amounts={("$", 2500)})
    assert evidence(deal, deal) == 3.0 and evidence(deal, dataclasses.replace(deal, amounts=frozenset())) == 1.0


def test_proper_names_shared_count_up_to_three():
    four = told(companies={"Teva"}, names={"UZEDY", "Bipolar", "Medicare", "Ohio"})
    assert evidence(four, four) == 1.0 + 3 * 0.75


def test_a_missing_headline_product_takes_from_what_the_pair_shares():
    release = told(companies={"Teva"}, products={"UZEDY"}, title_products={"UZEDY"})
    retold = told(companies={"Teva"})
    assert evidence(release, retold) == 1.0 - 3.0


def test_two_other_partners_take_from_what_the_pair_shares():
    lundbeck = told(companies={"MedinCell"}, outside_parties={"lundbeck"})
    sanofi = told(companies={"MedinCell"}, outside_parties={"sanofi"})
    assert evidence(lundbeck, sanofi) == 1.0 - 3.0


def test_wording_weighs_four_times_its_jaccard_similarity_to_three_decimals():
    one = told(companies={"Teva"}, words={"approval", "bipolar"})
    other = told(companies={"Teva"}, words={"approval", "schizophrenia"})
    assert evidence(one, other) == 2.333


def test_items_a_day_apart_are_of_the_same_day_and_a_second_more_is_not():
    day_apart = evidence(TEVA, dataclasses.replace(TEVA, timestamp=NOON + DAY))
    assert day_apart - evidence(TEVA, dataclasses.replace(TEVA, timestamp=NOON + DAY + 1)) == 0.5


def test_an_undated_item_earns_no_same_day_evidence():
    assert evidence(TEVA, dataclasses.replace(TEVA, dated=False)) == evidence(TEVA, TEVA) - 0.5


def test_an_unrecognised_event_raises_the_bar():
    typed = told(event_type="regulatory", section_id="regulatory")
    assert bar(typed, told(source_id="trade")) == SAME_STORY + UNTYPED_EXTRA


def test_a_product_named_further_down_the_other_item_is_not_missing_from_it():
    headline = told(products={"UZEDY"}, title_products={"UZEDY"}, makers={("UZEDY", "Teva")})
    assert not _headline_product_missing(headline, told(context_products={"UZEDY"}, companies={"Teva", "Camurus"}))


def test_evidence_exactly_at_the_bar_tells_one_story():
    # Two partners' news of one deal: both companies, the molecule, the same day and nothing of the wording shared.
    one = item(
        "one",
        "press",
        "Partners extend their depot collaboration",
        "the partners extended a long-acting injectable collaboration.",
        companies=("Teva", "MedinCell"),
        molecules=("risperidone",),
        event_type="partnership",
        published=END,
    )
    other = item(
        "other",
        "trade",
        "Risperidone alliance gets new terms",
        "a renegotiated licence covers the monthly shot.",
        companies=("Teva", "MedinCell"),
        event_type="financing",
        published=END,
    )
    fa, fb = facts(one, CLIENT), facts(other, CLIENT)
    assert evidence(fa, fb) == bar(fa, fb) == SAME_STORY
    assert stories.same_story(one, other, CLIENT) and cluster([one, other], CLIENT) == [[0, 1]]


# --- from pairs to stories ---------------------------------------------------------------------------------------


@pytest.fixture
def pairs(monkeypatch):
    """Items named by letters, with the evidence and the ruled-out pairs given: the grouping alone."""
    points, apart = {}, set()
    monkeypatch.setattr(stories, "facts", lambda name, client: told(source_id=name))
    monkeypatch.setattr(stories, "ruled_out", lambda a, b: "apart" if {a.source_id, b.source_id} in apart else "")
    monkeypatch.setattr(stories, "evidence", lambda a, b: points.get(frozenset((a.source_id, b.source_id)), 0.0))
    monkeypatch.setattr(stories, "bar", lambda a, b: SAME_STORY)

    def given(joined: dict[str, float], ruled_out: tuple[str, ...] = ()):
        points.update({frozenset(pair): value for pair, value in joined.items()})
        apart.update(frozenset(pair) for pair in ruled_out)

    return given


def test_the_strongest_pair_is_joined_first(pairs):
    pairs({"ab": 9.0, "bc": 5.0}, ruled_out=("ac",))
    assert cluster(["a", "b", "c"], CLIENT) == [[0, 1], [2]]


def test_a_ruled_out_pair_does_not_stop_the_other_pairs(pairs):
    pairs({"ab": 9.0}, ruled_out=("ca",))
    assert cluster(["c", "a", "b"], CLIENT) == [[0], [1, 2]]


def test_a_pair_already_in_one_story_does_not_stop_the_weaker_pairs(pairs):
    pairs({"ab": 9.0, "ac": 8.0, "bc": 7.0, "de": 5.0})
    assert cluster(["a", "b", "c", "d", "e"], CLIENT) == [[0, 1, 2], [3, 4]]


def test_a_story_grows_through_any_of_its_items(pairs):
    pairs({"ab": 9.0, "bc": 5.0})
    assert cluster(["a", "b", "c"], CLIENT) == [[0, 1, 2]]


def _candidate(news, score, domains=("all",)):
    return Candidate(item=news, score=score, breakdown={"base": score}, domains=domains)


FRENCH = item(
    "fr",
    "trade",
    "Teva : la FDA approuve UZEDY dans le trouble bipolaire de type I",
    "Teva a obtenu l'approbation de la FDA pour UZEDY, son injection mensuelle de rispéridone, chez les adultes.",
    molecules=("risperidone",),
    trademarks=("UZEDY",),
)
ENGLISH = dataclasses.replace(COMPANY, item_id="en", url="https://e.com/en")  # the company's own release


def test_a_story_is_shown_by_its_best_item_in_the_client_s_language():
    (story,), _ = cluster_stories([_candidate(FRENCH, 5.0), _candidate(ENGLISH, 4.0)], CLIENT)
    assert story.item.item_id == "en" and story.merged_ids == ("fr",)


def test_a_story_told_only_in_other_languages_is_shown_by_its_best_item():
    second = dataclasses.replace(FRENCH, item_id="fr2", source_id="press")
    (story,), _ = cluster_stories([_candidate(FRENCH, 5.0), _candidate(second, 4.0)], CLIENT)
    assert story.item.item_id == "fr"


def test_a_story_keeps_every_item_s_domains_once_and_no_section_yet():
    (story,), _ = cluster_stories(
        [_candidate(ENGLISH, 5.0, ("teva",)), _candidate(FRENCH, 4.0, ("teva", "psychiatry"))], CLIENT
    )
    assert story.domains == ("teva", "psychiatry") and story.section_id == ""


def test_a_story_s_score_is_rounded_to_three_decimals():
    (story,), _ = cluster_stories([_candidate(ENGLISH, 4.12345)], CLIENT)
    assert story.score == 4.123


def test_stories_come_best_first():
    other = item("o", "trade", "Camurus reports octreotide trial", "Camurus trial news.", companies=("Camurus",))
    ranked, _ = cluster_stories([_candidate(other, 2.0), _candidate(ENGLISH, 5.0)], CLIENT)
    assert [story.item.item_id for story in ranked] == ["en", "o"]


# --- what happened: trials, a regulator's acts, markets, whose news --------------------------------------------------


def test_two_named_trials_are_two_stories():
    a, b = told(trials={"TRIUMPH-1"}, dated=True), told(trials={"TRANSCEND-T2D-1"}, dated=True)
    assert ruled_out(a, b) == "different trials"


def test_a_trial_both_name_may_be_one_story():
    assert ruled_out(told(trials={"TRIUMPH-1"}), told(trials={"TRIUMPH-1", "SURMOUNT-5"})) == ""


def test_trials_are_capitalised_names_with_a_numbered_suffix():
    assert stories.trials("TRIUMPH-1, TRANSCEND-T2D-1, COVID-19, GLP-1 and CAM2029") == {"TRIUMPH-1", "TRANSCEND-T2D-1"}


@pytest.mark.parametrize(
    "title,act",
    [
        ("Novo Nordisk seeks U.S. approval for CagriSema", "filing"),
        ("FDA approves Zepbound with a boxed warning", "decision"),
        ("FDA Warns Online Firms Illegally Selling Compounded Tirzepatide", "enforcement"),
        ("Pfizer's Depo-Provera picks up meningioma warning", "safety"),
        ("大塚製薬　アリピプラゾール2カ月持効性注射剤が承認取得", "decision"),
        ("Teva reports third-quarter results", ""),
    ],
)
def test_a_headline_tells_the_first_act_of_a_regulator_it_names(title, act):
    assert stories.regulatory_act(title) == act


def test_a_regulators_decision_and_its_action_against_sellers_are_two_stories():
    a = told(event_type="regulatory", section_id="regulatory", acts={"decision"})
    b = told(event_type="regulatory", section_id="regulatory", acts={"enforcement"})
    assert ruled_out(a, b) == "different regulatory acts"


def test_acts_tell_regulatory_events_apart_only():
    a = told(event_type="clinical", section_id="clinical", acts={"decision"})
    assert ruled_out(a, dataclasses.replace(a, acts=frozenset({"filing"}))) == ""


def test_a_price_in_two_markets_is_two_stories():
    a = told(event_type="market_access", section_id="access", markets={"US"})
    b = told(event_type="manufacturing", section_id="access", markets={"Japan"})
    assert ruled_out(a, b) == "different markets"


def test_markets_tell_apart_only_a_price_or_coverage():
    a = told(event_type="manufacturing", section_id="supply", markets={"Germany"})
    assert ruled_out(a, dataclasses.replace(a, markets=frozenset({"Italy"}))) == ""


@pytest.mark.parametrize(
    "text,found",
    [
        ("the self-pay price will be $199 per month", {"US"}),
        ("NT$118 a share", set()),
        ("CVS Caremark to add Zepbound back", {"US"}),
        ("費用対効果評価で薬価引き下げ", {"Japan"}),
        ("Novo flags German shortage", {"Germany"}),
    ],
)
def test_markets_are_read_from_names_prices_and_payers(text, found):
    assert stories.markets(text) == found


def test_headlines_about_different_watched_companies_are_two_stories():
    a, b = (
        told(companies={"Teva", "MedinCell"}, title_companies={"MedinCell"}),
        told(companies={"Teva"}, title_companies={"Teva"}),
    )
    assert ruled_out(a, b) == "different companies in the headlines"


def test_a_product_in_a_headline_names_its_maker_with_it():
    one = facts(item("a", "press", "MedinCell : la FDA approuve UZEDY", "", companies=("MedinCell", "Teva")), CLIENT)
    assert one.title_companies == {"MedinCell", "Teva"}


def test_molecules_beside_a_product_both_headlines_name_are_context():
    a = told(products={"CagriSema"}, title_products={"CagriSema"}, molecules={"semaglutide"})
    assert ruled_out(a, dataclasses.replace(a, molecules=frozenset({"eloralintide"}))) == ""


def test_one_deal_told_by_the_same_two_parties_may_recall_different_products():
    a = told(
        event_type="financing",
        section_id="deals",
        parties={"ipsen", "foresee"},
        products={"CAMCEVI"},
        title_products={"CAMCEVI"},
        molecules={"leuprolide"},
    )
    b = dataclasses.replace(a, products=frozenset({"SOMATULINE"}), molecules=frozenset({"lanreotide"}))
    assert ruled_out(a, b) == ""


def test_two_parties_of_unrecognised_events_do_not_make_one_deal():
    a = told(parties={"ipsen", "foresee"}, products={"CAMCEVI"}, title_products={"CAMCEVI"})
    assert ruled_out(a, dataclasses.replace(a, products=frozenset({"SOMATULINE"}))) == "different products"


@pytest.mark.parametrize(
    "title,main",
    [
        (
            "Teva arms its olanzapine depot with bipolar data as Uzedy keeps growing",
            "Teva arms its olanzapine depot with bipolar data",
        ),
        (
            "Ipsen bets €1.1B on Foresee to fill the gap Somatuline's generics are leaving",
            "Ipsen bets €1.1B on Foresee",
        ),
        ("FDA approves Zepbound as the first treatment", "FDA approves Zepbound as the first treatment"),
    ],
)
def test_a_headlines_main_clause_leaves_out_its_backdrop(title, main):
    assert stories.main_clause(title) == main


def test_a_product_named_only_in_a_headlines_backdrop_is_not_its_subject():
    one = facts(
        item("a", "trade", "Teva's olanzapine shot gets off to a fast start as Uzedy keeps climbing", ""), CLIENT
    )
    assert one.title_products == frozenset() and one.products == frozenset()


@pytest.mark.parametrize(
    "text,regulator",
    [
        ("美国FDA现场检查", "FDA"),
        ("reports to the Yellow Card scheme", "MHRA"),
        ("厚生労働省から承認", "PMDA"),
        ("Die Europäische Kommission hat zugelassen", "EMA"),
    ],
)
def test_a_regulator_is_known_beside_cjk_characters_and_in_other_languages(text, regulator):
    one = facts(item("a", "trade", text, ""), CLIENT)
    assert regulator in one.regulators


def test_an_acronym_inside_a_latin_word_is_no_regulator():
    assert facts(item("a", "trade", "FDAs and xFDA", ""), CLIENT).regulators == frozenset()


def test_an_items_facts_hold_its_headlines_regulatory_act():
    assert facts(item("a", "agency", "Teva seeks approval for UZEDY", ""), CLIENT).acts == {"filing"}


def test_an_items_facts_hold_the_trials_and_markets_its_title_and_summary_name():
    one = facts(item("a", "trade", "TRIUMPH-1 tops", "Priced at $199 in the SURMOUNT-5 market."), CLIENT)
    assert (one.trials, one.markets) == ({"TRIUMPH-1", "SURMOUNT-5"}, {"US"})


def test_molecules_tell_apart_two_headlines_that_name_different_products():
    a = told(products={"A", "B"}, title_products={"A"}, molecules={"x"})
    b = told(products={"A", "B"}, title_products={"B"}, molecules={"y"})
    assert ruled_out(a, b) == "different molecules"
