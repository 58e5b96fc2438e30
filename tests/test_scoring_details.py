"""Scoring and selection on a small hand-made client, with the points worked out by hand (stories: test_stories.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from vectora_core.models import ClientConfig, Entity, EventRule, NormalizedItem, Scopes, Section, Source, WatchDomain
from vectora_core.scoring import score_item, section_for, select
from vectora_core.stories import cluster_stories

END = datetime(2026, 11, 25, 12, tzinfo=UTC)

SCOPES = Scopes(
    version="t1",
    companies=(
        Entity("MedinCell", ("MedinCell",), "pure_player"),
        Entity("Camurus", ("Camurus",), "pure_player"),
        Entity("Indivior", ("Indivior",), "pure_player"),
        Entity("Teva", ("Teva",), "big_pharma"),
        Entity("Pfizer", ("Pfizer",), "big_pharma"),
        Entity("Novartis", ("Novartis",), "big_pharma"),
    ),
    molecules=(
        Entity("olanzapine", ("olanzapine",)),
        Entity("risperidone", ("risperidone",)),
        Entity("buprenorphine", ("buprenorphine",)),
    ),
    trademarks=(
        Entity("UZEDY", ("UZEDY",), "Teva"),
        Entity("Brixadi", ("Brixadi",), "Camurus"),
        Entity("Sublocade", ("Sublocade",), "Indivior"),
    ),
    technologies=(Entity("BEPO", ("BEPO",)), Entity("FluidCrystal", ("FluidCrystal",))),
    event_types=(
        EventRule("regulatory", ("approves",), 3.0),
        EventRule("clinical", ("trial",), 2.0),
        EventRule("other", (), 0.25),
    ),
)
CLIENT = ClientConfig(
    client_id="t",
    name="T",
    language="en",
    default_period_days=7,
    sources=(
        Source("press", "Press", "https://e.com/p", "company", 1.25),
        Source("trade", "Trade", "https://e.com/t", "trade_press"),
    ),
    watch_domains=(
        WatchDomain("pure", "Pure", companies=("MedinCell",), weight=1.2),
        WatchDomain("uzedy", "UZEDY", trademarks=("UZEDY",), weight=2.0),
        WatchDomain("tech", "Tech", technologies=("BEPO",)),
        WatchDomain("mol", "Mol", molecules=("buprenorphine",)),
    ),
    sections=(Section("regulatory", "Regulatory", ("regulatory",), 2), Section("rest", "Everything else", (), 3)),
    min_score=2.0,
    scopes=SCOPES,
)


def item(item_id="a", **changes) -> NormalizedItem:
    fields = dict(
        item_id=item_id,
        source_id="press",
        url=f"https://e.com/{item_id}",
        title="FDA approves UZEDY",
        published=END - timedelta(days=1),
        content_hash="h",
        summary="Teva said the FDA approved UZEDY for schizophrenia patients.",
        event_type="regulatory",
        companies=("Teva",),
        molecules=(),
        trademarks=("UZEDY",),
        technologies=(),
        backend="offline",
    )
    fields.update(changes)
    return NormalizedItem(**fields)


# --- points ---------------------------------------------------------------------------------------------


def test_every_component_is_weighted_and_capped():
    rich = item(
        companies=("MedinCell", "Camurus", "Indivior", "Teva", "Pfizer", "Novartis", "Unknown"),
        molecules=("olanzapine", "risperidone", "buprenorphine"),
        trademarks=("UZEDY", "Brixadi", "Sublocade"),
        technologies=("BEPO", "FluidCrystal"),
    )
    scored = score_item(rich, CLIENT, END, 3)
    b = scored.breakdown
    assert (b["event"], b["pure_players"], b["big_pharma"], b["trademarks"], b["molecules"], b["technologies"]) == (
        3.0,
        4.0,
        1.5,
        3.0,
        1.0,
        1.0,
    )
    assert b["recency"] == 0.667  # one day old in a three-day window
    assert b["domain_weight"] == 14.167  # base 14.167, best domain weight 2.0
    assert b["source_priority"] == 7.083  # base × 2.0 × 0.25
    assert scored.score == 35.417 and scored.domains == ("pure", "uzedy", "tech", "mol")


def test_unknown_event_type_scores_half_a_point():
    assert score_item(item(event_type="gossip"), CLIENT, END, 7).breakdown["event"] == 0.5


def test_a_source_missing_from_the_config_has_neutral_priority():
    assert score_item(item(source_id="elsewhere"), CLIENT, END, 7).breakdown["source_priority"] == 0.0


def test_a_source_of_priority_one_adds_nothing():
    assert score_item(item(source_id="trade"), CLIENT, END, 7).breakdown["source_priority"] == 0.0


def test_a_domain_of_weight_one_adds_nothing():
    assert score_item(item(trademarks=(), technologies=("BEPO",)), CLIENT, END, 7).breakdown["domain_weight"] == 0.0


@pytest.mark.parametrize("days_old, points", [(0, 1.0), (-2, 1.0), (3.5, 0.5), (7, 0.0), (10, 0.0)])
def test_recency_falls_linearly_over_the_window(days_old, points):
    assert score_item(item(published=END - timedelta(days=days_old)), CLIENT, END, 7).breakdown["recency"] == points


@pytest.mark.parametrize(
    "field, value",
    [
        ("companies", ("MedinCell",)),
        ("molecules", ("buprenorphine",)),
        ("trademarks", ("UZEDY",)),
        ("technologies", ("BEPO",)),
    ],
)
def test_any_kind_of_entity_can_place_an_item_in_a_domain(field, value):
    bare = item(**{"companies": (), "molecules": (), "trademarks": (), "technologies": (), field: value})
    assert score_item(bare, CLIENT, END, 7) is not None


def test_an_item_touching_no_domain_is_noise():
    assert score_item(item(companies=("Pfizer",), trademarks=()), CLIENT, END, 7) is None


def twin(**changes) -> NormalizedItem:
    return item("b", **{"source_id": "trade", "title": "FDA approves Teva UZEDY", **changes})


# --- selection ----------------------------------------------------------------------------------------


def test_sections_take_their_event_types_and_the_catch_all_takes_the_rest():
    assert section_for("regulatory", CLIENT.sections) == "regulatory"
    assert section_for("clinical", CLIENT.sections) == "rest"
    assert section_for("clinical", CLIENT.sections[:1]) is None


def test_selection_orders_by_score_then_newest_then_id_and_caps_each_section():
    candidates = [
        score_item(item("low", published=END - timedelta(days=5)), CLIENT, END, 7),
        score_item(item("new", published=END - timedelta(hours=1)), CLIENT, END, 7),
        score_item(item("old"), CLIENT, END, 7),
    ]
    chosen = select([cluster_stories([c], CLIENT)[0][0] for c in candidates], CLIENT)
    assert [(s.item.item_id, s.section_id) for s in chosen] == [("new", "regulatory"), ("old", "regulatory")]


# --- offline extraction on the same hand-made scopes ----------------------------------------------------


def raw(title: str, text: str = ""):
    from vectora_core.models import RawItem

    return RawItem("r", "press", "https://e.com/r", title, text, END, "h")


def test_a_title_keyword_counts_double_against_the_text():
    from vectora_core.extraction import classify_event

    assert classify_event("Phase 3 trial starts", "The agency approves the design.", SCOPES) == "clinical"
    assert (
        classify_event("News", "The agency approves it after the trial.", SCOPES) == "regulatory"
    )  # a tie: the first rule
    assert classify_event("News", "Nothing here.", SCOPES) == "other"


def test_names_match_whole_words_in_any_case_and_possessives():
    from vectora_core.extraction import extract

    found = extract(raw("teva's update", "MEDINCELL and pre-Camurus and Camurusian and BEPO-based"), SCOPES)
    assert found.companies == ("MedinCell", "Teva") and found.technologies == ()


def test_longer_aliases_win_over_their_prefixes():
    from vectora_core.extraction import _alias_pattern

    assert (
        _alias_pattern(["Invega", "Invega Sustenna", " "]).search("new Invega Sustenna data").group()
        == "Invega Sustenna"
    )


def test_a_product_brings_its_owner_once():
    from vectora_core.extraction import extract

    found = extract(raw("UZEDY and Teva", "Brixadi"), SCOPES)
    assert found.companies == ("Teva", "Camurus") and found.trademarks == ("UZEDY", "Brixadi")


@pytest.fixture
def fresh_extraction_cache():
    """Compiled alias patterns are cached per scopes; rebuild them so this test sees the current code."""
    from vectora_core import extraction

    extraction._compiled.cache_clear()
    yield
    extraction._compiled.cache_clear()


def test_aliases_match_whatever_their_case(fresh_extraction_cache):
    from vectora_core.extraction import extract

    scopes = Scopes(
        "t2",
        (Entity("Janssen", ("Janssen Pharmaceuticals", " ")),),
        (),
        (Entity("Invega Sustenna", ("invega sustenna", "IS-1")),),
        (),
        (),
    )
    found = extract(raw("JANSSEN pharmaceuticals files", "Invega Sustenna (paliperidone), also is-1"), scopes)
    assert found.companies == ("Janssen",) and found.trademarks == ("Invega Sustenna",)
    assert extract(raw("Janssen files", "IS-10"), scopes).companies == ()


def test_a_product_owner_already_named_is_not_repeated(fresh_extraction_cache):
    from vectora_core.extraction import extract

    assert extract(raw("Teva UZEDY", ""), SCOPES).companies == ("Teva",)


def test_a_text_hit_does_not_cancel_a_title_hit(fresh_extraction_cache):
    from vectora_core.extraction import classify_event

    assert classify_event("FDA approves", "approves", SCOPES) == "regulatory"
    assert (
        classify_event("Trial", "it approves and approves", SCOPES) == "regulatory"
    )  # 3 text hits beat 2 for one title hit


def test_a_rule_without_keywords_does_not_stop_the_others(fresh_extraction_cache):
    from vectora_core.extraction import classify_event

    scopes = Scopes("t3", (), (), (), (), (EventRule("other", (), 0.25), EventRule("clinical", ("trial",), 2.0)))
    assert classify_event("Trial", "", scopes) == "clinical"


def test_one_keyword_hit_is_enough_to_classify(fresh_extraction_cache):
    from vectora_core.extraction import classify_event

    assert classify_event("", "a trial", SCOPES) == "clinical"


def test_the_points_of_a_merged_story_keep_three_decimals():
    lead = score_item(item(published=END - timedelta(hours=7)), CLIENT, END, 7)
    (merged,), _ = cluster_stories([lead, score_item(twin(published=END - timedelta(hours=7)), CLIENT, END, 7)], CLIENT)
    assert merged.score == round(merged.score, 3) and merged.score == round(sum(merged.breakdown.values()), 3)


def test_selection_keeps_each_items_breakdown_domains_links_and_merged_ids():
    (merged,), _ = cluster_stories([score_item(item(), CLIENT, END, 7), score_item(twin(), CLIENT, END, 7)], CLIENT)
    (chosen,) = select([merged], CLIENT)
    assert (chosen.breakdown, chosen.domains, chosen.links, chosen.merged_ids) == (
        merged.breakdown,
        merged.domains,
        merged.links,
        merged.merged_ids,
    )


def test_among_equal_scores_the_newer_item_comes_first():
    older = score_item(item("o", published=END - timedelta(days=2)), CLIENT, END, 0)
    newer = score_item(item("n", published=END - timedelta(days=1)), CLIENT, END, 0)
    assert older.score == newer.score  # a zero-day window gives no recency points to either
    assert [s.item.item_id for s in select([cluster_stories([c], CLIENT)[0][0] for c in (older, newer)], CLIENT)] == [
        "n",
        "o",
    ]


def test_only_big_pharma_companies_earn_big_pharma_points():
    assert score_item(item(companies=("MedinCell", "Camurus", "Teva")), CLIENT, END, 7).breakdown["big_pharma"] == 0.75


def test_the_recency_of_a_day_old_item_in_a_one_day_window_is_zero():
    assert score_item(item(published=END - timedelta(days=1)), CLIENT, END, 1).breakdown["recency"] == 0.0


def test_recency_is_computed_from_seconds():
    assert (
        score_item(item(published=END - timedelta(days=7) + timedelta(seconds=30)), CLIENT, END, 7).breakdown["recency"]
        == 0.0
    )
    assert score_item(item(published=END - timedelta(days=3, hours=12)), CLIENT, END, 7).breakdown["recency"] == 0.5


def test_domain_weight_points_keep_three_decimals():
    # Only the 1.2-weight domain matches: its points are a fifth of the base, rounded to three decimals.
    scored = score_item(
        item(companies=("MedinCell",), trademarks=(), published=END - timedelta(days=1)), CLIENT, END, 7
    )
    base = sum(v for k, v in scored.breakdown.items() if k not in ("domain_weight", "source_priority"))
    assert scored.breakdown["domain_weight"] == round(base * 0.2, 3) != round(base * 0.2, 4)


@pytest.mark.parametrize(
    "fields",
    [
        {"trademarks": ("UZEDY",), "technologies": ("BEPO",)},
        {"companies": ("MedinCell",), "molecules": ("olanzapine",)},
    ],
)
def test_hits_of_different_kinds_add_up_in_a_domain(fields):
    domain = WatchDomain(
        "both",
        "Both",
        companies=("MedinCell",),
        molecules=("olanzapine",),
        trademarks=("UZEDY",),
        technologies=("BEPO",),
    )
    client = ClientConfig(**{**CLIENT.__dict__, "watch_domains": (domain,)})
    bare = item(**{"companies": (), "molecules": (), "trademarks": (), "technologies": (), **fields})
    assert score_item(bare, client, END, 7).domains == ("both",)
