"""Offline extraction, scoring, story clustering and selection over the client's real scopes."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from vectora_core.client_config import parse_client_config, parse_scopes
from vectora_core.extraction import canonicalize, extract, extractive_summary
from vectora_core.llm.offline import normalize_offline
from vectora_core.models import RawItem
from vectora_core.scoring import score_item, select
from vectora_core.stories import cluster_stories

CONFIG = Path(__file__).resolve().parent.parent / "config"
END = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def client():
    scopes = parse_scopes((CONFIG / "canonical/lai_scopes.yaml").read_text(), "canonical/lai_scopes.yaml")
    return parse_client_config(
        (CONFIG / "clients/lai_weekly_v3.yaml").read_text(), "clients/lai_weekly_v3.yaml", lambda _: scopes
    )


def raw(title, text, source="fierce_pharma", days_ago=1, item_id=None):
    return RawItem(
        item_id=item_id or str(abs(hash((title, source))))[:16],
        source_id=source,
        url=f"https://example.com/{abs(hash(title))}",
        title=title,
        text=text,
        published=END - timedelta(days=days_ago),
        content_hash="h",
    )


def test_trademark_implies_its_owner(client):
    found = extract(raw("UZEDY sales climb", "Quarterly UZEDY revenue rose."), client.scopes)
    assert "UZEDY" in found.trademarks and "Teva" in found.companies


def test_event_type_prefers_title_keywords(client):
    found = extract(raw("FDA approves Brixadi label expansion", "The company also plans a trial."), client.scopes)
    assert found.event_type == "regulatory"


def test_text_without_keywords_is_other(client):
    assert extract(raw("Quarterly thoughts", "Nothing to see."), client.scopes).event_type == "other"


def test_canonicalize_maps_aliases_and_drops_unknown(client):
    assert canonicalize(["medincell", "Acme Bio"], client.scopes.companies) == ("MedinCell",)


def test_summary_is_the_whole_sentences_that_fit():
    text = "First sentence here. Second one. " + "A third sentence that no longer fits, " * 6 + "end."
    assert extractive_summary("T", text, limit=60) == "First sentence here. Second one."


def test_a_lede_too_long_for_the_summary_gives_way_to_the_headline():
    lede = "Camurus said that " + "the study, " * 40 + "met its goal."
    assert extractive_summary("Camurus study meets its goal", lede) == "Camurus study meets its goal."


def test_a_lede_cut_off_by_the_feed_gives_way_to_the_headline():
    assert extractive_summary("Teva launches UZEDY in Canada", "Teva said on Monday that it launched [...]") == (
        "Teva launches UZEDY in Canada."
    )


def test_a_long_lede_is_compacted_before_it_is_given_up():
    lede = (
        "LUND, Sweden — Camurus AB (Nasdaq STO: CAMX) today announced that the FDA (U.S. Food and Drug Administration) "
        "accepted its new drug application for CAM2029 for review."
    )
    assert extractive_summary("T", lede, limit=110) == (
        "Camurus AB today announced that the FDA accepted its new drug application for CAM2029 for review."
    )


def test_pure_player_outscores_big_pharma_mention(client):
    # An item about the field names an LAI (a product, a technology, or the field's words with the company).
    pure = normalize_offline(
        raw("MedinCell starts trial", "MedinCell started a phase 3 trial of its long-acting injectable."), client.scopes
    )
    big = normalize_offline(
        raw("Pfizer starts trial", "Pfizer started a phase 3 trial of DEPO-PROVERA."), client.scopes
    )
    assert (
        score_item(pure, client, END, 7).breakdown["pure_players"]
        > score_item(big, client, END, 7).breakdown["big_pharma"]
    )


def test_off_topic_item_matches_no_domain(client):
    noise = normalize_offline(
        raw("Conference registration opens", "Register for the annual pharma summit."), client.scopes
    )
    assert score_item(noise, client, END, 7) is None


def test_breakdown_sums_to_score(client):
    item = normalize_offline(
        raw("FDA approves UZEDY label expansion", "Teva said the FDA approved UZEDY."), client.scopes
    )
    scored = score_item(item, client, END, 7)
    assert abs(sum(scored.breakdown.values()) - scored.score) < 0.01


def test_same_story_from_three_sources_is_merged_with_all_links(client):
    story = [
        raw(
            "FDA approves Teva and MedinCell olanzapine LAI",
            "The FDA approved the olanzapine injectable from Teva and MedinCell.",
            "fda_press",
        ),
        raw(
            "Teva wins FDA approval for olanzapine long-acting injectable",
            "Teva and MedinCell olanzapine approval by FDA.",
            "fierce_pharma",
        ),
        raw(
            "MedinCell announces FDA approval of olanzapine LAI with Teva",
            "MedinCell said the FDA approved olanzapine with Teva.",
            "medincell_press",
        ),
    ]
    other = raw("Camurus reports Brixadi phase 3 data", "Camurus reported phase 3 data for Brixadi.", "camurus_press")
    candidates = [score_item(normalize_offline(r, client.scopes), client, END, 7) for r in story + [other]]
    merged, merged_count = cluster_stories(candidates, client)
    assert merged_count == 2 and len(merged) == 2
    lead = next(m for m in merged if len(m.links) == 3)
    assert {s for s, _ in lead.links} == {"fda_press", "fierce_pharma", "medincell_press"}
    assert lead.breakdown["coverage"] == 1.0


def test_selection_caps_items_per_section(client):  # the threshold: test_pure_engine
    companies = ["MedinCell", "Camurus", "Indivior", "Alkermes", "Tolmar", "Luye Pharma"]
    items = [
        raw(
            f"FDA approves {name} depot",
            f"The FDA approved a long-acting injectable from {name}.",
            f"s{i}",
            item_id=f"id{i}",
        )
        for i, name in enumerate(companies)
    ]
    candidates = [score_item(normalize_offline(r, client.scopes), client, END, 7) for r in items]
    merged, _ = cluster_stories(candidates, client)
    selected = select(merged, client)
    regulatory = [s for s in selected if s.section_id == "regulatory"]
    # Four on the section's own places; the rest only on places the empty sections lend.
    assert len([s for s in regulatory if not s.borrowed_place]) == 4
    assert all(s.score >= client.min_score for s in selected)
