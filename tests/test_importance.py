"""Importance and relevance rules: significance, competitor-only mentions, other senses, event types, section lending."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from vectora_core.client_config import parse_client_config, parse_scopes
from vectora_core.extraction import estimate_significance, extract
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


def raw(title, text, source="fierce_pharma", item_id=None, days_ago=1):
    return RawItem(
        item_id or title[:16],
        source,
        f"https://example.com/{abs(hash(title))}",
        title,
        text,
        END - timedelta(days=days_ago),
        "h",
    )


def scored(client, title, text, **kw):
    return score_item(normalize_offline(raw(title, text, **kw), client.scopes), client, END, 7)


# --- significance -------------------------------------------------------------------------------------


def test_approval_is_major():
    assert estimate_significance("FDA approves UZEDY in bipolar I", "", "regulatory") == "major"


def test_complete_response_letter_is_major():
    assert estimate_significance("Camurus receives complete response letter for CAM2029", "", "regulatory") == "major"


def test_phase_3_readout_is_major():
    assert estimate_significance("Positive topline results from phase 3 study of ARISTADA", "", "clinical") == "major"


def test_phase_3_start_is_only_notable():
    assert (
        estimate_significance("Camurus starts phase 3 trial of CAM2029", "first patient dosed", "clinical") == "notable"
    )


def test_deal_of_100_million_or_more_is_major():
    assert estimate_significance("Luye signs RYKINDO license deal", "Upfront $120 million.", "partnership") == "major"


def test_small_deal_is_notable():
    assert estimate_significance("Luye signs RYKINDO license deal", "Upfront $12 million.", "partnership") == "notable"


def test_conference_poster_is_minor():
    assert estimate_significance("Teva presents UZEDY poster at congress", "", "clinical") == "minor"


def test_approval_outscores_a_poster_with_more_names(client):
    approval = scored(
        client, "FDA approves PERSERIS label update", "The FDA approved the label of the risperidone depot."
    )
    poster = scored(
        client,
        "Teva and MedinCell present UZEDY poster at congress",
        "Teva and MedinCell presented UZEDY risperidone data for the BEPO long-acting injectable in a poster.",
    )
    assert approval.score > poster.score
    assert approval.breakdown["significance"] > poster.breakdown["significance"]


# --- relevance ----------------------------------------------------------------------------------------


def test_competitor_only_mention_is_off_the_field(client):
    item = normalize_offline(
        raw(
            "Bristol's oral schizophrenia pill posts phase 3 data",
            "Analysts said the pill could compete with long-acting injectables such as INVEGA SUSTENNA and ABILIFY MAINTENA.",
        ),
        client.scopes,
    )
    assert not item.on_topic and "competitor" in item.relevance_note
    assert score_item(item, client, END, 7) is None


def test_product_named_before_the_competitor_cue_stays_the_subject(client):
    item = normalize_offline(
        raw("ARISTADA beats rival in head-to-head study", "Alkermes said ARISTADA outperformed a rival."), client.scopes
    )
    assert item.on_topic


def test_breast_implant_notice_is_off_the_field(client):
    item = normalize_offline(
        raw("FDA strengthens warnings on breast implants", "Breast implants get a boxed warning."), client.scopes
    )
    assert not item.on_topic and "Implant" not in item.technologies


def test_distribution_depot_is_off_the_field(client):
    item = normalize_offline(
        raw("Cardinal Health opens a distribution depot", "The distribution depot adds cold-chain storage."),
        client.scopes,
    )
    assert not item.on_topic


def test_long_acting_inhaler_from_a_watched_company_is_off_the_field(client):
    item = normalize_offline(
        raw("Teva launches a generic long-acting inhaler", "A long-acting muscarinic antagonist inhaler for COPD."),
        client.scopes,
    )
    assert not item.on_topic


def test_pure_player_without_the_field_is_off_the_field(client):
    item = normalize_offline(
        raw("Alkermes reports phase 2 results for its oral orexin agonist", "An oral tablet for narcolepsy."),
        client.scopes,
    )
    assert not item.on_topic


def test_pure_player_with_the_fields_words_is_on_the_field(client):
    item = normalize_offline(
        raw("MedinCell receives a grant for its six-month contraceptive injectable", "Based on BEPO."), client.scopes
    )
    assert item.on_topic


# --- event types ------------------------------------------------------------------------------------


def test_complete_response_letter_citing_a_plant_is_regulatory(client):
    found = extract(
        raw(
            "Camurus receives complete response letter from the FDA for CAM2029",
            "The letter refers to observations at a third-party manufacturing facility and its supply.",
        ),
        client.scopes,
    )
    assert found.event_type == "regulatory"


def test_real_world_adherence_data_is_clinical(client):
    found = extract(
        raw(
            "Teva presents real-world adherence data for UZEDY",
            "Patients stayed on treatment longer; the company expands supply capacity.",
        ),
        client.scopes,
    )
    assert found.event_type == "clinical"


# --- section filling ----------------------------------------------------------------------------------


def _approvals(client, count):
    names = ["MedinCell", "Camurus", "Indivior", "Alkermes", "Tolmar", "Luye Pharma", "Heron Therapeutics"]
    return [
        scored(
            client,
            f"FDA approves {n} depot",
            f"The FDA approved a long-acting injectable from {n}.",
            source=f"s{i}",
            item_id=f"a{i}",
        )
        for i, n in enumerate(names[:count])
    ]


def _posters(client, count):
    products = [
        ("Teva", "UZEDY", "schizophrenia"),
        ("Camurus", "Buvidal", "opioid dependence"),
        ("Indivior", "SUBLOCADE", "retention"),
        ("Alkermes", "VIVITROL", "alcohol dependence"),
        ("Luye Pharma", "RYKINDO", "relapse"),
        ("Tolmar", "ELIGARD", "testosterone"),
    ]
    return [
        scored(
            client,
            f"{co} presents {product} poster at congress",
            f"{co} presented {product} {topic} findings in a poster.",
            source=f"p{i}",
            item_id=f"p{i}",
        )
        for i, (co, product, topic) in enumerate(products[:count])
    ]


def test_places_left_empty_are_lent_to_strong_items_of_another_section(client):
    merged, _ = cluster_stories(_approvals(client, 6), client)
    selected = select(merged, client)
    assert len(selected) == 6
    assert sum(s.borrowed_place for s in selected) == 2


def test_lent_places_never_exceed_the_newsletters_length(client):
    total = sum(s.max_items for s in client.sections)
    merged, _ = cluster_stories(_approvals(client, 7), client)
    assert len(select(merged, client)) <= total


def test_minor_items_do_not_borrow_places(client):
    merged, _ = cluster_stories(_posters(client, 6), client)
    selected = select(merged, client)
    assert not any(s.borrowed_place for s in selected)
    assert len(selected) == next(s.max_items for s in client.sections if s.section_id == "clinical")
