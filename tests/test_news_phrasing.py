"""How news is told, whatever the field (vectora_core/phrasing.py), read alike by the offline extractor and by the
stand-in's reader: a watched name as the yardstick of a comparison is not the story's subject, a field's word used in
another sense keeps that sense through the item, and an event is filed by the words every field's news uses for it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from toolkit.local.bedrock_standin import classify_event as standin_event
from toolkit.local.bedrock_standin import is_about_lai
from toolkit.local.bedrock_standin.fields import field_reader
from vectora_core import phrasing
from vectora_core.client_config import parse_scopes
from vectora_core.extraction import classify_event, extract, mask_other_senses
from vectora_core.models import RawItem

CONFIG = Path(__file__).resolve().parent.parent / "config"
LAI_TYPES = ["regulatory", "clinical", "partnership", "financing", "manufacturing", "patent", "other"]
OBESITY_TYPES = [*LAI_TYPES[:-1], "market_access", "other"]


def _scopes(name: str):
    key = f"canonical/{name}.yaml"
    return parse_scopes((CONFIG / key).read_text(), key)


@pytest.fixture(scope="module")
def lai():
    return _scopes("lai_scopes")


@pytest.fixture(scope="module")
def obesity():
    return _scopes("obesity_scopes")


def _raw(title: str, text: str) -> RawItem:
    return RawItem("id", "fierce_pharma", "https://example.com/x", title, text, datetime(2026, 11, 20, tzinfo=UTC), "h")


def _on_topic(title: str, text: str, scopes) -> bool:
    return extract(_raw(title, text), scopes).on_topic


# --- a watched name as the yardstick ---------------------------------------------------------------------

YARDSTICKS = [
    # the watched names face the challenger: they precede the cue
    ("Aristada and Invega Sustenna face an oral challenger", "A once-weekly oral antipsychotic won FDA approval."),
    ("Brixadi's new rival wins FDA approval", "An oral opioid use disorder pill from a private biotech was approved."),
    # a cost-driver list: the watched name is what payers cut
    (
        "Payers tighten antipsychotic formularies",
        "Plans are steering patients to generic pills, with depot antipsychotics such as Abilify Maintena flagged as "
        "the main cost drivers.",
    ),
    # a comparison, and patients' preference
    ("Oral HIV pill matches injectables in phase 3", "The once-daily pill was non-inferior to Cabenuva in the trial."),
    ("A daily pill for schizophrenia wins approval", "Its maker targets patients who would rather avoid Uzedy shots."),
]


@pytest.mark.parametrize("title,text", YARDSTICKS)
def test_a_watched_name_only_as_the_yardstick_is_off_the_field(lai, title, text):
    assert not _on_topic(title, text, lai)


@pytest.mark.parametrize("title,text", YARDSTICKS)
def test_the_standin_reads_the_yardstick_as_the_engine_does(title, text):
    assert not is_about_lai(title, text)


@pytest.mark.parametrize(
    "title,text",
    [
        ("Aristada wins a new indication while oral rivals stall", "Alkermes said the label now covers adolescents."),
        ("UZEDY cut relapses compared with placebo", "Teva said UZEDY reduced relapse risk in the phase 3 trial."),
    ],
)
def test_the_subject_before_a_rival_or_a_comparison_stays_the_subject(lai, title, text):
    assert _on_topic(title, text, lai) and is_about_lai(title, text)


def test_the_yardstick_is_blanked_back_to_its_clause_only():
    sentence = "UZEDY wins approval while Invega Sustenna faces a new rival"
    assert phrasing.own_subject(sentence).strip() == "UZEDY wins approval while"


def test_another_fields_reader_takes_the_yardstick_alike():
    reader = field_reader("GLP-1 and obesity drugs")
    assert not reader.on_topic(
        "Zepbound's new rival wins approval", "An oral pill from a private biotech won approval."
    )
    assert reader.on_topic("Zepbound wins approval in sleep apnea", "Eli Lilly said the FDA approved Zepbound.")


# --- a word of the field in another sense keeps that sense through the item --------------------------------


def test_a_field_word_keeps_the_other_sense_the_item_gives_it(lai):
    title, text = "Straumann launches a new implant line for same-day procedures", "The dental implants fit in an hour."
    assert not _on_topic(title, text, lai)
    assert not is_about_lai("Hearing firm's processor offers implant pairing", "It pairs with cochlear implants.")


def test_a_phrase_naming_the_fields_own_sense_survives_another_sense_nearby(lai):
    text = "Unlike dental implants, the biodegradable implant releases risperidone for six months."
    masked = mask_other_senses(text, lai)
    assert "biodegradable implant" in masked and "dental" not in masked
    assert _on_topic("A six-month risperidone implant enters phase 3", text, lai)


def test_an_ordinary_word_of_the_field_alone_needs_a_drug_of_the_field(lai):
    assert not _on_topic("A startup's contraceptive implant wins a grant", "The grant funds a first trial.", lai)
    assert not is_about_lai("A startup's contraceptive implant wins a grant", "The grant funds a first trial.")
    assert _on_topic("MedinCell's six-month implant wins a grant", "MedinCell will start a trial next year.", lai)


# --- events told in the words every field uses ---------------------------------------------------------------


@pytest.mark.parametrize(
    "title,text",
    [
        ("Zealand files petrelintide with the FDA", "Zealand Pharma has filed its amylin analogue with the agency."),
        ("Metsera seeks approval for its monthly GLP-1", "A decision is expected next year."),
        ("Lilly wins FDA nod for Zepbound in sleep apnea", "The agency signed off on the new use."),
    ],
)
def test_a_filing_or_a_decision_in_press_words_is_regulatory(obesity, title, text):
    assert classify_event(title, text, obesity) == "regulatory"
    assert standin_event(title, text, OBESITY_TYPES) == "regulatory"


def test_a_marketing_authorisation_applied_for_is_regulatory(lai):
    title, text = "Luye applied for marketing authorisation of its risperidone microspheres in Japan", ""
    assert classify_event(title, text, lai) == "regulatory"


def test_a_lawsuit_outranks_a_weak_word_of_another_event(lai):
    title = "Alkermes sues to block a would-be Aristada copy"
    text = "Alkermes took the generic maker to court, buying up to 30 months before the FDA can approve the copy."
    assert classify_event(title, text, lai) == "patent"
    assert standin_event(title, text, LAI_TYPES) == "patent"


def test_buying_time_is_no_purchase_but_buying_a_company_is(lai):
    assert classify_event("Teva is buying time for UZEDY", "Teva said it is buying 18 months of supply.", lai) != (
        "financing"
    )
    assert classify_event(
        "Teva is buying a biotech", "Teva agreed to buy a long-acting injectable developer.", lai
    ) == ("financing")


def test_what_money_is_raised_for_does_not_file_the_event(obesity):
    title = "Structure Therapeutics raises $300 million to take its oral GLP-1 into phase 3"
    text = "Structure closed a $300 million series B financing to run phase 3 trials."
    assert classify_event(title, text, obesity) == "financing"
    assert standin_event(title, text, OBESITY_TYPES) == "financing"


def test_a_debt_facility_is_financing_not_a_plant(lai):
    title = "MedinCell obtains a €40 million venture debt facility from a public bank"
    assert classify_event(title, "The facility can be drawn over three years.", lai) == "financing"


def test_an_appeals_court_ruling_is_a_legal_event_for_the_standin_too():
    title, text = "Appeals court sides with the FDA on compounded tirzepatide", "The FDA's decision was upheld."
    assert standin_event(title, text, OBESITY_TYPES) == "patent"


def test_the_standin_files_payer_coverage_as_market_access_where_the_field_has_it():
    title, text = "Medicare starts covering two obesity shots", "Seniors with obesity get coverage with a copay."
    assert standin_event(title, text, OBESITY_TYPES) == "market_access"
    assert standin_event(title, text, LAI_TYPES) in LAI_TYPES


# --- more yardsticks, and animals' medicine ----------------------------------------------------------------------

MORE_YARDSTICKS = [
    ("A pill's one-year data stack up against the injectables", "such as Invega Sustenna", "Invega"),
    ("Radioligand doubles survival over high-dose Sandostatin LAR", "", "Sandostatin"),
    ("An oral drug outperforms Uzedy on weight gain", "", "Uzedy"),
    ("A start-up raises $120M, aiming squarely at the monthly shots", "", "monthly shots"),
    ("Its relapse rates approach those reported for Abilify Maintena", "", "Abilify"),
    ("A pill to get the adherence benefits of Aristada without the shots", "", "Aristada"),
]


@pytest.mark.parametrize("title,_text,yardstick", MORE_YARDSTICKS)
def test_a_comparison_told_in_these_words_leaves_the_yardstick_out_of_the_subject(title, _text, yardstick):
    assert yardstick not in phrasing.own_subject(title) and phrasing.own_subject(title).strip()


def test_a_headline_about_animals_medicine_is_for_animals():
    assert phrasing.for_animals("Animal health company recalls long-acting injectable antibiotic for cattle")


def test_a_headline_about_patients_is_not_for_animals():
    assert not phrasing.for_animals("Teva recalls one lot of its long-acting injectable for patients")


# --- events told in the field's other languages and in more English idioms ----------------------------------------

EVENTS_ELSEWHERE = [
    ("EU-Zulassung für subkutanes Olanzapin-Depot", "Die Europäische Kommission hat es zugelassen.", "regulatory"),
    ("大塚製薬　アリピプラゾール2カ月持効性注射剤が承認取得", "", "regulatory"),
    ("瑞欣妥获批上市", "", "regulatory"),
    ("FDA to speed review of Gilead's once-a-year HIV prevention shot", "", "regulatory"),
    ("Pfizer's Depo-Provera picks up meningioma warning as litigation grows", "", "regulatory"),
    ("MedinCell lève 65 millions d'euros dans le cadre d'un placement privé", "", "financing"),
    ("Ipsen s'offre le taïwanais Foresee pour 1,1 milliard d'euros", "", "financing"),
    ("Ipsen bets €1.1B on Foresee", "", "financing"),
    ("Indivior bets up to $410M on a six-month implant", "", "financing"),
    ("逸達生技與法商益普生簽訂合併協議", "", "financing"),
    ("Camurus tecknar licensavtal med Otsuka", "", "partnership"),
    ("绿叶制药与日本朝仓制药达成独家授权合作", "", "partnership"),
    ("MedinCell et Lundbeck signent un accord de licence", "", "partnership"),
    ("Lieferengpass bei Risperdal Consta", "", "manufacturing"),
    ("Carenza di risperidone a rilascio prolungato", "", "manufacturing"),
    ("Alkermes Issues Voluntary Nationwide Recall of One Lot of VIVITROL", "", "manufacturing"),
    ("Los inyectables reducen los reingresos, según un estudio", "", "clinical"),
]


@pytest.mark.parametrize("title,text,event_type", EVENTS_ELSEWHERE)
def test_an_event_told_in_another_language_or_idiom_is_filed_by_its_type(lai, title, text, event_type):
    assert classify_event(title, text, lai) == event_type


@pytest.mark.parametrize(
    "title,event_type",
    [
        ("AZ bulks up its obesity pipeline with an ecnoglutide pact worth up to $2.7B", "partnership"),
        ("FDA's latest compounding crackdown targets telehealths pitching tirzepatide", "regulatory"),
        ("Semaglutide: very rare risk of optic neuropathy", "regulatory"),
        ("Zepbound picks up heart failure nod", "regulatory"),
        ("肥満症薬ウゴービ、費用対効果評価で薬価引き下げ", "market_access"),
        ("CVS to resume covering Lilly's weight-loss drug Zepbound on main drug lists", "market_access"),
    ],
)
def test_another_fields_event_in_these_words_is_filed_by_its_type(obesity, title, event_type):
    assert classify_event(title, "", obesity) == event_type


def test_a_phrase_of_another_language_counts_as_decisive_and_is_blanked_once_counted():
    decisive, keywords, left = phrasing.event_phrases("financing", "MedinCell lève 65 millions")
    assert (decisive, keywords) == (1, 0) and "lève" not in left and "MedinCell" in left


def test_the_standin_reads_the_field_in_another_language_as_a_model_does():
    assert is_about_lai("El aripiprazol inyectable de larga duración reduce los reingresos", "")


def test_the_standin_reads_a_name_in_chinese_characters_beside_others():
    assert is_about_lai("绿叶制药公布瑞欣妥研究结果", "")
