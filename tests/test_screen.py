"""The pre-model screen: high recall on the labelled tuning weeks, and what it keeps from the model."""

from datetime import date

import pytest

from toolkit.drivers.eval_weeks import TUNING_WEEKS
from toolkit.drivers.evaluate import load_client, load_week
from vectora_core.models import RawItem
from vectora_core.screen import BIG_PHARMA_ONLY, NO_FIELD_WORD, screen_reason, split_by_screen

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def client():
    return load_client()


def _raw(title: str, text: str = "") -> RawItem:
    return RawItem("id", "fierce_pharma", "https://example.com/x", title, text, None, "h")


@pytest.mark.parametrize("week_name", TUNING_WEEKS)
def test_every_relevant_item_of_the_tuning_weeks_passes_the_screen(client, week_name):
    week = load_week(week_name, TODAY)
    passed, _out = split_by_screen(week.items, client.scopes)
    passed_ids = {i.item_id for i in passed}
    missed = [
        week.labels[i.item_id]["title"]
        for i in week.items
        if week.labels[i.item_id]["relevant"] and i.item_id not in passed_ids
    ]
    assert missed == []


def test_screen_keeps_most_off_topic_news_from_the_model(client):
    week = load_week("week1", TODAY)
    _passed, out = split_by_screen(week.items, client.scopes)
    off_topic = sum(1 for i in week.items if not week.labels[i.item_id]["relevant"])
    assert len(out) >= 0.75 * off_topic


def test_item_with_no_word_of_the_field_is_screened_out_with_its_reason(client):
    assert (
        screen_reason(_raw("Merck cuts 400 jobs", "Merck will cut jobs in a restructuring."), client.scopes)
        == NO_FIELD_WORD
    )


def test_large_company_alone_is_screened_out(client):
    assert (
        screen_reason(_raw("Pfizer trims outlook", "Pfizer lowered its revenue guidance."), client.scopes)
        == BIG_PHARMA_ONLY
    )


def test_field_word_in_another_sense_still_passes_for_the_model_to_judge(client):
    assert screen_reason(_raw("Breast implants get a boxed warning"), client.scopes) == ""


def test_pure_player_news_passes_without_field_words(client):
    assert screen_reason(_raw("Camurus names a new chief financial officer"), client.scopes) == ""


def test_molecule_alone_passes(client):
    assert screen_reason(_raw("Generic risperidone tablets launched"), client.scopes) == ""


@pytest.mark.parametrize(
    "title",
    [
        "Los antipsicóticos inyectables de larga duración reducen los reingresos",  # Spanish
        "Lieferengpass bei Risperdal Consta: Depotinjektion knapp",  # German
        "Carenza di risperidone a rilascio prolungato",  # Italian
        "Injetável de longa duração reduz recaídas",  # Portuguese
        "Depåinjektion med buprenorfin höll fler kvar i behandling",  # Swedish
        "Une injection à libération prolongée approuvée",  # French
        "绿叶制药烟台长效微球生产基地通过检查",  # Chinese
        "大塚HD、統合失調症薬で2カ月に1度の注射剤　国内で承認",  # Japanese
    ],
)
def test_a_title_in_another_language_of_the_field_passes_the_screen(client, title):
    assert screen_reason(_raw(title), client.scopes) == ""


def test_the_screen_reads_the_items_text_when_its_title_names_nothing_of_the_field(client):
    assert (
        screen_reason(_raw("Lieferengpass bei einem Antipsychotikum", "Mikrosphären zur Depotinjektion"), client.scopes)
        == ""
    )


def test_an_everyday_word_of_another_language_does_not_pass_the_screen(client):
    assert screen_reason(_raw("Information mensuelle relative aux droits de vote"), client.scopes) == NO_FIELD_WORD
