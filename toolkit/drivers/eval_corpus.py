"""The labelled evaluation weeks: a deterministic generator of realistic trade-press weeks.

`python -m toolkit.drivers.eval_corpus` writes `eval/week1/` (the tuning week) and `eval/week2/` (held out:
never used to tune rules or weights) as feed templates in the sample corpus' format (dates are
placeholders relative to the evaluation's reference day, so a run on any day gets a full week) plus
`labels.yaml`. The same seed always writes the same bytes; a test checks the committed files match.

What a week holds, like a real one: mostly pharma news with no long-acting-injectable (LAI) angle,
the LAI stories (some told by two or three sources in different words), important ones flagged
`must_include`, and traps that use LAI words in another sense (a distribution depot, breast or dental
implants, a long-acting inhaler or insulin, radioembolization microspheres, an oral extended-release
tablet) or name a watched company or product only as a competitor. Every story is invented sample
data about real companies; no quote is attributed to a real person.

`python -m toolkit.drivers.eval_corpus --realistic-week DIR` writes a larger week (≥ 400 items, ~5 % on topic)
for the benchmark's realistic scenario.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

from .. import REPO_ROOT

EVAL_DIR = REPO_ROOT / "eval"
SOURCES = {
    # source id: (feed title, site, format, share of the week's off-topic items)
    "medincell_press": ("MedinCell press releases", "https://www.medincell.com/en/press-releases/", "rss", 0.02),
    "teva_press": (
        "Teva Pharmaceuticals - Latest News",
        "https://www.tevapharm.com/news-and-media/latest-news/",
        "rss",
        0.12,
    ),
    "camurus_press": ("Camurus press releases", "https://www.camurus.com/media/press-releases/", "rss", 0.04),
    "indivior_press": ("Indivior press releases", "https://www.indivior.com/en/media/press-releases/", "rss", 0.04),
    "alkermes_press": ("Alkermes news releases", "https://investor.alkermes.com/news-releases/", "rss", 0.05),
    "fierce_pharma": ("Fierce Pharma", "https://www.fiercepharma.com/", "rss", 0.30),
    "endpoints_news": ("Endpoints News", "https://endpts.com/", "atom", 0.28),
    "fda_press": ("FDA press announcements", "https://www.fda.gov/news-events/press-announcements/", "rss", 0.15),
}


@dataclass(frozen=True)
class Copy:
    """One source's telling of a story."""

    source: str
    title: str
    text: str
    days_ago: int
    hour: str = "09:00"


@dataclass(frozen=True)
class Story:
    story_id: str
    event_type: str
    significance: str  # major | notable | minor
    copies: tuple[Copy, ...]
    must_include: bool = False


@dataclass(frozen=True)
class Trap:
    """Off-topic item that uses LAI words in another sense, or names LAI players only as competitors."""

    kind: str
    copy: Copy


@dataclass
class Item:
    source: str
    title: str
    text: str
    days_ago: int
    hour: str
    label: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Week 1: the tuning week. Sections are over-subscribed on purpose (five regulatory and five clinical
# stories for four places each) while deals and manufacturing have room to lend.
# --------------------------------------------------------------------------------------------------

WEEK1_STORIES = (
    Story(
        "olanzapine_lai_approval",
        "regulatory",
        "major",
        must_include=True,
        copies=(
            Copy(
                "teva_press",
                "Teva receives U.S. FDA approval for its once-monthly olanzapine extended-release injectable suspension for schizophrenia",
                "Teva Pharmaceuticals announced that the U.S. Food and Drug Administration approved its olanzapine extended-release injectable suspension (TEV-'749) for the treatment of schizophrenia in adults. The subcutaneous, once-monthly injection was developed with MedinCell and did not require post-injection monitoring in the phase 3 program. Teva plans a launch in the coming weeks.",
                1,
                "13:05",
            ),
            Copy(
                "medincell_press",
                "MedinCell: FDA approves the olanzapine long-acting injectable developed with Teva, the second product based on BEPO technology",
                "MedinCell announced that its partner Teva has received FDA approval for the olanzapine extended-release injectable suspension (mdc-TJK / TEV-'749) in schizophrenia. The product relies on MedinCell's BEPO in-situ forming depot technology, already used in UZEDY. MedinCell is eligible for milestones and royalties on net sales.",
                1,
                "17:40",
            ),
            Copy(
                "fierce_pharma",
                "Teva and MedinCell's monthly olanzapine shot crosses the FDA finish line without a monitoring requirement",
                "Regulators have signed off on Teva's long-acting olanzapine, a once-monthly subcutaneous shot built on MedinCell's BEPO depot platform. Unlike the older olanzapine pamoate depot, the new injectable carries no post-injection delirium monitoring requirement, which analysts said could widen its use in community clinics.",
                0,
                "08:20",
            ),
        ),
    ),
    Story(
        "cam2029_crl",
        "regulatory",
        "major",
        must_include=True,
        copies=(
            Copy(
                "camurus_press",
                "Camurus receives complete response letter from the FDA for CAM2029 in acromegaly",
                "Camurus announced that the U.S. Food and Drug Administration has issued a complete response letter for the new drug application for CAM2029, octreotide subcutaneous depot, in acromegaly. The letter refers to observations at a third-party manufacturing facility and does not request new clinical studies. Camurus will request a meeting with the agency to agree on the resubmission.",
                2,
                "07:30",
            ),
            Copy(
                "endpoints_news",
                "FDA rejects Camurus' octreotide depot over a contract manufacturer's inspection findings",
                "The FDA turned away Camurus' monthly octreotide depot CAM2029, sending a complete response letter that points to problems found at a contract fill-finish site rather than at the drug itself. The Swedish company said no new efficacy data were requested; shares fell in Stockholm trading.",
                2,
                "15:10",
            ),
        ),
    ),
    Story(
        "aristada_phase3_bipolar",
        "clinical",
        "major",
        must_include=True,
        copies=(
            Copy(
                "alkermes_press",
                "Alkermes announces positive topline results from phase 3 study of ARISTADA in bipolar I disorder maintenance",
                "Alkermes plc announced positive topline results from its phase 3 study evaluating ARISTADA (aripiprazole lauroxil) extended-release injectable suspension every two months as maintenance treatment of bipolar I disorder. The study met its primary endpoint, significantly delaying time to relapse compared with placebo. Alkermes plans a supplemental new drug application in the first half of next year.",
                3,
                "12:00",
            ),
            Copy(
                "endpoints_news",
                "Alkermes' every-two-months ARISTADA delays bipolar relapse in phase 3, setting up a label expansion filing",
                "Alkermes says its long-acting aripiprazole lauroxil injection hit the primary endpoint in a phase 3 bipolar I maintenance study, cutting the risk of relapse versus placebo. The company intends to file for a label expansion next year, which would take the antipsychotic shot beyond schizophrenia.",
                3,
                "18:45",
            ),
        ),
    ),
    Story(
        "indivior_acquisition",
        "financing",
        "major",
        must_include=True,
        copies=(
            Copy(
                "indivior_press",
                "Indivior to acquire a developer of a six-month buprenorphine implant for up to $410 million",
                "Indivior PLC announced an agreement to acquire a privately held developer of a biodegradable buprenorphine implant designed to release medication for six months, for $240 million upfront and up to $170 million in development milestones. The acquisition adds a long-acting treatment option for opioid use disorder alongside SUBLOCADE.",
                4,
                "07:00",
            ),
            Copy(
                "fierce_pharma",
                "Indivior bets up to $410M on a six-month buprenorphine implant to extend its SUBLOCADE franchise",
                "Indivior is buying a private biotech whose biodegradable implant releases buprenorphine for six months, paying $240 million upfront with $170 million more tied to milestones. The deal gives the addiction specialist a follow-on to its monthly SUBLOCADE depot as competition from Brixadi grows.",
                4,
                "11:30",
            ),
            Copy(
                "endpoints_news",
                "Indivior inks $410M buyout for a half-year opioid use disorder implant",
                "Indivior has agreed to acquire a small developer of a six-month buprenorphine implant in a deal worth up to $410 million. The company said the biodegradable implant could reach a pivotal study within two years.",
                3,
                "09:15",
            ),
        ),
    ),
    Story(
        "yeztugo_chmp",
        "regulatory",
        "major",
        must_include=True,
        copies=(
            Copy(
                "fierce_pharma",
                "CHMP backs Gilead's twice-yearly lenacapavir for HIV prevention in the EU",
                "The European Medicines Agency's CHMP adopted a positive opinion recommending approval of Gilead's lenacapavir, given as a twice-yearly subcutaneous injection, for pre-exposure prophylaxis of HIV-1. A European Commission decision is expected within about two months.",
                2,
                "10:05",
            ),
            Copy(
                "endpoints_news",
                "Europe's drug regulator recommends Gilead's six-month HIV PrEP shot",
                "EU regulators have recommended approval of twice-yearly lenacapavir for HIV prevention, a step toward a European launch of the long-acting injection sold in the U.S. as YEZTUGO. The CHMP opinion now goes to the European Commission.",
                1,
                "16:50",
            ),
        ),
    ),
    Story(
        "hafyera_adolescents",
        "regulatory",
        "major",
        must_include=True,
        copies=(
            Copy(
                "fda_press",
                "FDA Approves First Twice-Yearly Injectable Antipsychotic for Adolescents with Schizophrenia",
                "The U.S. Food and Drug Administration today approved INVEGA HAFYERA (paliperidone palmitate) extended-release injectable suspension for the maintenance treatment of schizophrenia in adolescents aged 13 to 17 years who have been adequately treated with a monthly or three-monthly paliperidone palmitate injection. The agency reviewed data from an open-label study in adolescents.",
                2,
                "14:30",
            ),
            Copy(
                "fierce_pharma",
                "J&J's six-month INVEGA HAFYERA wins FDA nod in adolescents with schizophrenia",
                "Johnson & Johnson can now market its twice-yearly paliperidone palmitate shot INVEGA HAFYERA to teenagers with schizophrenia after an FDA approval, extending the longest-dosed antipsychotic injectable to a younger population.",
                1,
                "09:40",
            ),
        ),
    ),
    Story(
        "rykindo_filing",
        "regulatory",
        "notable",
        copies=(
            Copy(
                "endpoints_news",
                "FDA accepts Luye's filing for a two-week RYKINDO dosing option, sets a PDUFA date",
                "Luye Pharma said the FDA accepted for review its supplemental application for an every-two-weeks dosing option of RYKINDO, its risperidone extended-release microspheres for injection, with a PDUFA goal date in the third quarter of next year.",
                5,
                "06:55",
            ),
        ),
    ),
    Story(
        "uzedy_real_world",
        "clinical",
        "minor",
        copies=(
            Copy(
                "teva_press",
                "Teva presents real-world adherence data for UZEDY at the psychiatry congress",
                "Teva presented real-world evidence showing that adults with schizophrenia treated with UZEDY (risperidone) extended-release injectable suspension stayed on treatment longer than patients on oral antipsychotics over twelve months. The retrospective claims analysis included more than 2,000 patients.",
                5,
                "14:00",
            ),
        ),
    ),
    Story(
        "medincell_abbvie_phase1",
        "clinical",
        "notable",
        copies=(
            Copy(
                "medincell_press",
                "MedinCell and AbbVie dose first participants in phase 1 trial of their second long-acting injectable program",
                "MedinCell announced that the first participants have been dosed in a phase 1 trial of the second product candidate developed with AbbVie under their collaboration. The candidate combines an AbbVie molecule with MedinCell's BEPO technology to deliver a long-acting injectable. MedinCell receives a development milestone with the first dosing.",
                4,
                "17:35",
            ),
        ),
    ),
    Story(
        "buvidal_long_term_data",
        "clinical",
        "minor",
        copies=(
            Copy(
                "camurus_press",
                "New long-term Buvidal data presented at the addiction medicine congress",
                "Camurus presented a poster with four-year follow-up data from patients treated with Buvidal (buprenorphine prolonged-release injection) for opioid dependence, showing sustained retention in treatment and no new safety signals. The data come from an investigator-led registry in Australia.",
                6,
                "11:00",
            ),
        ),
    ),
    Story(
        "sublocade_adolescent_enrollment",
        "clinical",
        "notable",
        copies=(
            Copy(
                "indivior_press",
                "Indivior completes enrollment in the SUBLOCADE adolescent study",
                "Indivior announced it has completed enrollment in its open-label study of SUBLOCADE (buprenorphine extended-release) injection in adolescents aged 16 and 17 with moderate to severe opioid use disorder. Results are expected next year and could support a label update.",
                6,
                "07:00",
            ),
        ),
    ),
    Story(
        "ascendis_convertible",
        "financing",
        "notable",
        copies=(
            Copy(
                "endpoints_news",
                "Ascendis raises $300M in convertible notes to fund TransCon launches",
                "Ascendis Pharma priced $300 million of convertible senior notes, saying the proceeds will fund the commercial build-out of its TransCon prodrug portfolio, including SKYTROFA, and late-stage development.",
                2,
                "21:10",
            ),
        ),
    ),
    Story(
        "medincell_grant",
        "financing",
        "notable",
        copies=(
            Copy(
                "medincell_press",
                "MedinCell receives a new grant to accelerate its six-month contraceptive injectable",
                "MedinCell announced a new grant from a global health foundation to advance its six-month subcutaneous contraceptive injectable based on BEPO technology toward a phase 1 study. The funding covers manufacturing scale-up and regulatory preparation.",
                5,
                "08:30",
            ),
        ),
    ),
    Story(
        "medisorb_capacity",
        "manufacturing",
        "notable",
        copies=(
            Copy(
                "alkermes_press",
                "Alkermes expands Medisorb microsphere manufacturing capacity in Wilmington, Ohio",
                "Alkermes announced a new production line for its Medisorb microsphere technology at its Wilmington, Ohio facility to support growing demand for VIVITROL (naltrexone for extended-release injectable suspension) and ARISTADA. The line is expected to be operational next year.",
                3,
                "08:00",
            ),
        ),
    ),
    Story(
        "eligard_patent",
        "patent",
        "notable",
        copies=(
            Copy(
                "fierce_pharma",
                "Tolmar defends ELIGARD patents as court rejects generic challenger's bid",
                "A U.S. district court upheld two patents covering Tolmar's ELIGARD (leuprolide acetate) injectable suspension, which uses the Atrigel in-situ forming depot, blocking a generic challenger's Paragraph IV bid until the patents expire.",
                4,
                "13:20",
            ),
        ),
    ),
)

WEEK1_TRAPS = (
    Trap(
        "distribution_depot",
        Copy(
            "fierce_pharma",
            "Cardinal Health opens a distribution depot in Ohio to speed specialty pharmacy deliveries",
            "Cardinal Health opened a 400,000-square-foot distribution depot near Columbus, Ohio, to shorten delivery times for specialty pharmacy and oncology clinic customers. The depot adds cold-chain storage for biologics.",
            2,
            "10:40",
        ),
    ),
    Trap(
        "breast_implant",
        Copy(
            "fda_press",
            "FDA Strengthens Warnings on Breast Implants and Requires a Patient Decision Checklist",
            "The U.S. Food and Drug Administration is requiring stronger labeling for breast implants, including a boxed warning and a patient decision checklist, to help patients understand the risks of breast implant-associated lymphoma and systemic symptoms.",
            3,
            "13:00",
        ),
    ),
    Trap(
        "dental_implant",
        Copy(
            "endpoints_news",
            "Dental implant maker's shares jump as procedure volumes recover",
            "A European dental implant manufacturer raised its full-year guidance as implant procedure volumes recovered in the U.S. and China, sending its shares to a two-year high.",
            5,
            "08:05",
        ),
    ),
    Trap(
        "long_acting_inhaler",
        Copy(
            "teva_press",
            "Teva launches a generic long-acting inhaler for chronic obstructive pulmonary disease in the U.S.",
            "Teva announced the U.S. launch of a generic version of a long-acting muscarinic antagonist inhaler for maintenance treatment of chronic obstructive pulmonary disease, adding to its respiratory portfolio.",
            1,
            "12:10",
        ),
    ),
    Trap(
        "long_acting_inhaler",
        Copy(
            "fierce_pharma",
            "AstraZeneca's triple long-acting inhaler posts COPD exacerbation win",
            "AstraZeneca reported that its fixed-dose triple inhaler, combining two long-acting bronchodilators with an inhaled corticosteroid, cut moderate or severe COPD exacerbations in a phase 3 trial.",
            0,
            "06:30",
        ),
    ),
    Trap(
        "long_acting_insulin",
        Copy(
            "endpoints_news",
            "Novo Nordisk's once-weekly long-acting insulin wins another regulatory approval",
            "Novo Nordisk said regulators approved its once-weekly basal insulin, a long-acting insulin analog for adults with type 2 diabetes, adding a new market for the product.",
            3,
            "12:25",
        ),
    ),
    Trap(
        "radioembolization_microspheres",
        Copy(
            "fierce_pharma",
            "Boston Scientific expands Y-90 glass microspheres label in liver cancer",
            "Boston Scientific said the FDA approved an expanded label for its yttrium-90 glass microspheres used in radioembolization of hepatocellular carcinoma, based on a multicenter study.",
            4,
            "15:45",
        ),
    ),
    Trap(
        "oral_extended_release",
        Copy(
            "fda_press",
            "FDA Approves Extended-Release Tablet for ADHD in Children Six and Older",
            "The U.S. Food and Drug Administration today approved an extended-release tablet formulation of a central nervous system stimulant for attention deficit hyperactivity disorder in patients six years and older.",
            5,
            "14:10",
        ),
    ),
    Trap(
        "competitor_only",
        Copy(
            "endpoints_news",
            "Bristol's oral schizophrenia drug posts adjunctive phase 3 data; analysts weigh the threat to injectables",
            "Bristol Myers Squibb reported phase 3 results for its oral muscarinic schizophrenia drug as an add-on therapy. Analysts said the pill could compete with long-acting injectables such as INVEGA SUSTENNA and ABILIFY MAINTENA, though adherence favors the rival shots.",
            2,
            "11:50",
        ),
    ),
    Trap(
        "competitor_only",
        Copy(
            "fierce_pharma",
            "Merck's weekly oral HIV combination clears phase 3 as a rival to long-acting shots",
            "Merck said its once-weekly oral HIV treatment combination met its phase 3 primary endpoint. The company positioned the pill as an alternative for patients who do not want injections, competing with ViiV's CABENUVA.",
            1,
            "14:55",
        ),
    ),
    Trap(
        "big_pharma_only",
        Copy(
            "endpoints_news",
            "Pfizer trims 2026 outlook as COVID revenue keeps sliding",
            "Pfizer lowered its full-year revenue guidance, citing weaker sales of its COVID-19 products, and said it would expand its cost-cutting program.",
            4,
            "07:45",
        ),
    ),
    Trap(
        "big_pharma_only",
        Copy(
            "fierce_pharma",
            "J&J reaches settlement in talc litigation with a group of state attorneys general",
            "Johnson & Johnson agreed to a settlement with a coalition of state attorneys general over marketing of talc-based powders, the company said, without admitting wrongdoing.",
            3,
            "17:05",
        ),
    ),
    Trap(
        "big_pharma_only",
        Copy(
            "teva_press",
            "Teva reports third-quarter results and raises revenue outlook on AUSTEDO growth",
            "Teva reported revenues for the third quarter that beat expectations, driven by AUSTEDO and its generics business, and raised its full-year outlook.",
            6,
            "06:00",
        ),
    ),
    Trap(
        "pure_player_no_lai",
        Copy(
            "alkermes_press",
            "Alkermes reports positive phase 2 results for its oral orexin 2 receptor agonist in narcolepsy type 1",
            "Alkermes announced positive topline results from a phase 2 study of its oral orexin 2 receptor agonist in patients with narcolepsy type 1, with statistically significant improvements in wakefulness.",
            2,
            "12:30",
        ),
    ),
    Trap(
        "pure_player_no_lai",
        Copy(
            "camurus_press",
            "Invitation to the presentation of Camurus' interim report for the third quarter",
            "Camurus invites investors, analysts and media to a webcast presentation of the interim report for the third quarter, followed by a question and answer session.",
            5,
            "08:00",
        ),
    ),
    Trap(
        "pure_player_no_lai",
        Copy(
            "indivior_press",
            "Indivior announces the results of its annual general meeting",
            "Indivior PLC announces that all resolutions proposed at its annual general meeting were duly passed by shareholders on a poll.",
            4,
            "16:00",
        ),
    ),
)

# --------------------------------------------------------------------------------------------------
# Week 2: held out. Never used to tune rules or weights; reported apart.
# --------------------------------------------------------------------------------------------------

WEEK2_STORIES = (
    Story(
        "camcevi_three_month_approval",
        "regulatory",
        "major",
        must_include=True,
        copies=(
            Copy(
                "fda_press",
                "FDA Approves Three-Month Leuprolide Injectable Formulation for Advanced Prostate Cancer",
                "The U.S. Food and Drug Administration approved a three-month formulation of CAMCEVI (leuprolide) injectable emulsion for the palliative treatment of advanced prostate cancer. The ready-to-use subcutaneous injection is marketed by Foresee Pharmaceuticals.",
                1,
                "15:00",
            ),
            Copy(
                "fierce_pharma",
                "Foresee lands FDA nod for a quarterly CAMCEVI shot to take on ELIGARD and LUPRON DEPOT",
                "Foresee Pharmaceuticals won FDA approval for a three-month version of its leuprolide injectable CAMCEVI, letting urologists dose the ready-to-use shot four times a year.",
                0,
                "09:30",
            ),
        ),
    ),
    Story(
        "asimtufii_phase3",
        "clinical",
        "major",
        must_include=True,
        copies=(
            Copy(
                "endpoints_news",
                "Otsuka and Lundbeck's two-month ABILIFY ASIMTUFII meets phase 3 goal in bipolar I maintenance",
                "Otsuka and Lundbeck said a phase 3 study of ABILIFY ASIMTUFII (aripiprazole) every two months met its primary endpoint, prolonging time to recurrence of mood episodes in bipolar I disorder versus placebo.",
                3,
                "13:40",
            ),
            Copy(
                "fierce_pharma",
                "Phase 3 win for every-two-months aripiprazole injection in bipolar disorder",
                "The long-acting aripiprazole injection from Otsuka and Lundbeck delayed recurrence of mood episodes in a phase 3 bipolar I trial, the partners reported, positioning ABILIFY ASIMTUFII for a broader label.",
                3,
                "17:10",
            ),
        ),
    ),
    Story(
        "zynrelef_crl",
        "regulatory",
        "major",
        must_include=True,
        copies=(
            Copy(
                "endpoints_news",
                "FDA sends Heron a complete response letter for ZYNRELEF prefilled syringe over device questions",
                "Heron Therapeutics received a complete response letter for its prefilled-syringe presentation of ZYNRELEF (bupivacaine and meloxicam) extended-release solution. The FDA asked for additional device and manufacturing information; no new clinical trials were requested.",
                2,
                "20:05",
            ),
        ),
    ),
    Story(
        "medincell_vet_license",
        "partnership",
        "notable",
        copies=(
            Copy(
                "medincell_press",
                "MedinCell grants an animal health company a license to its BEPO technology",
                "MedinCell signed a license agreement granting an animal health company rights to use its BEPO long-acting injectable technology for two veterinary programs. MedinCell receives an upfront payment and is eligible for milestones and royalties.",
                4,
                "07:30",
            ),
        ),
    ),
    Story(
        "vivitrol_persistence",
        "clinical",
        "minor",
        copies=(
            Copy(
                "alkermes_press",
                "Alkermes presents real-world persistence data for VIVITROL in alcohol dependence",
                "Alkermes presented real-world data at a research society meeting showing longer treatment persistence among patients with alcohol dependence who received VIVITROL (naltrexone for extended-release injectable suspension) after residential treatment.",
                5,
                "12:15",
            ),
        ),
    ),
    Story(
        "fluidcrystal_fill_line",
        "manufacturing",
        "notable",
        copies=(
            Copy(
                "camurus_press",
                "Camurus qualifies a new FluidCrystal fill line to secure Buvidal and Brixadi supply",
                "Camurus announced that its contract manufacturer has qualified a second fill line for FluidCrystal products, doubling capacity for Buvidal and for Brixadi, marketed in the U.S. by its partner.",
                6,
                "08:45",
            ),
        ),
    ),
    Story(
        "uzedy_paragraph_iv",
        "patent",
        "notable",
        copies=(
            Copy(
                "teva_press",
                "Teva files patent infringement suit against a generic applicant for UZEDY",
                "Teva filed a patent infringement lawsuit after receiving a Paragraph IV certification from a company seeking approval of a generic version of UZEDY (risperidone) extended-release injectable suspension.",
                2,
                "16:20",
            ),
        ),
    ),
)

WEEK2_TRAPS = (
    Trap(
        "distribution_depot",
        Copy(
            "endpoints_news",
            "McKesson consolidates three European depots into one automated hub",
            "McKesson said it will close three regional distribution depots in Europe and move their volumes to a new automated hub in the Netherlands.",
            3,
            "10:10",
        ),
    ),
    Trap(
        "breast_implant",
        Copy(
            "fierce_pharma",
            "Breast implant maker settles product liability claims",
            "A breast implant manufacturer agreed to settle product liability claims tied to textured implants, the company disclosed in a filing.",
            5,
            "14:25",
        ),
    ),
    Trap(
        "long_acting_inhaler",
        Copy(
            "fierce_pharma",
            "GSK's once-daily long-acting inhaler gains pediatric asthma label",
            "GSK said the FDA expanded the label of its once-daily inhaler, combining an inhaled corticosteroid with a long-acting beta agonist, to children with asthma.",
            2,
            "08:50",
        ),
    ),
    Trap(
        "competitor_only",
        Copy(
            "endpoints_news",
            "Karuna-style muscarinic pill startup raises $150M, eyeing patients who refuse LAIs",
            "A biotech developing a once-daily oral muscarinic agonist for schizophrenia raised $150 million in a Series B. Its pitch: patients who decline long-acting injectables like INVEGA TRINZA and ARISTADA.",
            4,
            "11:35",
        ),
    ),
    Trap(
        "oral_extended_release",
        Copy(
            "fda_press",
            "FDA Approves Generic Extended-Release Capsules for Overactive Bladder",
            "The U.S. Food and Drug Administration approved the first generic of an extended-release capsule for overactive bladder.",
            1,
            "13:30",
        ),
    ),
    Trap(
        "big_pharma_only",
        Copy(
            "teva_press",
            "Teva receives European Commission approval for its biosimilar to a leading osteoporosis antibody",
            "The European Commission granted marketing authorization to Teva's biosimilar for osteoporosis and bone metastases.",
            4,
            "09:55",
        ),
    ),
)

# --------------------------------------------------------------------------------------------------
# Off-topic pharma news, composed from varied templates (no LAI angle).
# --------------------------------------------------------------------------------------------------

OTHER_COMPANIES = (
    "Merck",
    "AstraZeneca",
    "Sanofi",
    "Roche",
    "Bristol Myers Squibb",
    "Eli Lilly",
    "Novo Nordisk",
    "Amgen",
    "Vertex",
    "Regeneron",
    "Biogen",
    "Moderna",
    "GSK",
    "Bayer",
    "Boehringer Ingelheim",
    "Takeda",
    "Astellas",
    "Daiichi Sankyo",
    "BioNTech",
    "argenx",
    "Insmed",
    "Alnylam",
    "BeiGene",
    "Incyte",
    "Jazz Pharmaceuticals",
    "Neurocrine Biosciences",
    "Sarepta",
    "Intellia",
    "Madrigal",
    "Viking Therapeutics",
    "Summit Therapeutics",
    "Arcus Biosciences",
    "Cytokinetics",
    "Ionis",
    "Exelixis",
    "Blueprint Medicines",
    "Axsome",
    "Karuna",
)
INDICATIONS = (
    "non-small cell lung cancer",
    "HER2-positive breast cancer",
    "multiple myeloma",
    "atopic dermatitis",
    "ulcerative colitis",
    "Crohn's disease",
    "heart failure",
    "chronic kidney disease",
    "obesity",
    "type 2 diabetes",
    "Alzheimer's disease",
    "migraine",
    "psoriasis",
    "generalized myasthenia gravis",
    "cystic fibrosis",
    "sickle cell disease",
    "MASH",
    "hypertrophic cardiomyopathy",
    "acute myeloid leukemia",
    "prostate cancer",
    "hemophilia A",
    "COPD",
    "lupus",
    "spinal muscular atrophy",
    "RSV in older adults",
)
MODALITIES = (
    "oral small molecule",
    "bispecific antibody",
    "antibody-drug conjugate",
    "siRNA therapy",
    "gene therapy",
    "monoclonal antibody",
    "oral GLP-1 receptor agonist",
    "CAR-T cell therapy",
    "mRNA vaccine",
    "oral TYK2 inhibitor",
)
CITIES = (
    "North Carolina",
    "Indiana",
    "Ireland",
    "Singapore",
    "Texas",
    "Switzerland",
    "Massachusetts",
    "Denmark",
    "Puerto Rico",
    "Germany",
)
QUARTERS = ("first", "second", "third", "fourth")


def _code(rng: random.Random) -> str:
    return f"{rng.choice('ABCDEFGHJKLMNPRSTVXZ')}{rng.choice('ABCDEFGHJKLMNPRSTVXZ')}{rng.choice(['', '-'])}{rng.randint(100, 9999)}"


def _off_topic(rng: random.Random, source: str) -> tuple[str, str]:
    """One off-topic pharma news item in the voice of `source`."""
    co, co2 = rng.sample(OTHER_COMPANIES, 2)
    ind = rng.choice(INDICATIONS)
    mod = rng.choice(MODALITIES)
    code = _code(rng)
    n = rng.choice((120, 250, 400, 600, 850, 1200, 2000))
    amt = rng.choice((1.1, 1.8, 2.4, 3.2, 4.5, 6.0, 9.5, 14.0))
    quarter = rng.choice(QUARTERS)
    city = rng.choice(CITIES)
    if source == "fda_press":
        kinds = (
            (
                f"FDA Approves First Treatment for Patients with Advanced {ind.title()}",
                f"The U.S. Food and Drug Administration today approved {code}, a {mod}, for adults with {ind} whose disease progressed after prior therapy. Approval was based on response rate and duration of response in a single-arm trial.",
            ),
            (
                "FDA Roundup: Device Clearances, Food Safety and Guidance Updates",
                "The FDA is providing an at-a-glance summary of news from around the agency, including recent medical device clearances, an import alert update and a draft guidance on clinical trial diversity plans.",
            ),
            (
                f"FDA Warns Consumers About Counterfeit {rng.choice(['Semaglutide', 'Tirzepatide', 'Botulinum Toxin'])} Products",
                "The FDA is warning consumers not to use counterfeit products found in the U.S. drug supply chain and is working with the manufacturer to identify the source.",
            ),
            (
                f"FDA Authorizes Marketing of a Novel Diagnostic Test for {ind.title()}",
                f"The FDA authorized marketing of the first diagnostic test intended to help identify patients with {ind}, through the De Novo premarket review pathway.",
            ),
            (
                f"FDA Approves First Biosimilar for {ind.title()}",
                f"The FDA approved the first biosimilar of a widely used monoclonal antibody for {ind}, a step the agency said should increase competition and lower costs.",
            ),
            (
                "FDA Issues Draft Guidance on the Use of Artificial Intelligence in Drug Development",
                "The FDA issued draft guidance describing a risk-based framework for sponsors that use artificial intelligence to produce information supporting regulatory decisions.",
            ),
            (
                f"FDA Takes Action Against Companies Selling Unapproved {rng.choice(['Kratom', 'Eye Drops', 'Weight-Loss', 'Hair-Loss'])} Products",
                "The FDA issued warning letters to companies illegally selling unapproved products online and urged consumers to talk to a health care provider.",
            ),
        )
    elif source == "teva_press":
        generic = rng.choice(
            (
                "a blood pressure tablet",
                "an oral contraceptive",
                "an epilepsy treatment",
                "an antifungal cream",
                "a cholesterol-lowering tablet",
                "an ophthalmic solution",
                "a multiple sclerosis capsule",
                "an anticoagulant",
                "a migraine nasal spray",
                "an overactive bladder tablet",
                "an HIV oral combination tablet",
                "an antiemetic film",
            )
        )
        market = rng.choice(("the U.S.", "Canada", "Germany", "the United Kingdom", "Israel", "Japan"))
        kinds = (
            (
                f"Teva launches a generic version of {generic} in {market}",
                f"Teva announced the launch of a generic version of {generic} in {market}, adding to its portfolio of generic medicines.",
            ),
            (
                f"Teva's AUSTEDO data in tardive dyskinesia presented at {rng.choice(['a neurology', 'a movement disorders', 'a psychiatry'])} meeting",
                "Teva presented long-term data for AUSTEDO XR (deutetrabenazine) extended-release tablets in tardive dyskinesia, showing sustained improvement in involuntary movements.",
            ),
            (
                "Teva's AJOVY data in pediatric migraine presented at headache congress",
                "Teva presented new data for AJOVY (fremanezumab) injection in children and adolescents with episodic migraine at an international headache congress.",
            ),
            (
                f"Teva and a partner advance a biosimilar to a {rng.choice(['retinal', 'immunology', 'oncology'])} blockbuster",
                "Teva and its development partner said the FDA accepted the biologics license application for a proposed biosimilar, with a decision expected next year.",
            ),
            (
                "Teva to present at an upcoming healthcare investor conference",
                "Teva's management will participate in a fireside chat at a healthcare investor conference; a webcast will be available on the company's website.",
            ),
            (
                "Teva publishes its annual sustainability report",
                "Teva published its annual environmental, social and governance report, detailing progress on emissions and access-to-medicines goals.",
            ),
        )
    else:
        kinds = (
            (
                f"{co} posts phase 3 win for {code} in {ind}",
                f"{co} said its {mod} {code} met the primary endpoint of a phase 3 trial in {ind}, with a safety profile consistent with earlier studies. The company plans to discuss a filing with regulators.",
            ),
            (
                f"{co} to acquire {co2}'s {ind} asset for ${amt:g}B",
                f"{co} agreed to pay ${amt:g} billion upfront for a {mod} in development for {ind}, its largest deal this year. The transaction is expected to close in the {quarter} quarter.",
            ),
            (
                f"{co} cuts {n} jobs in restructuring",
                f"{co} will eliminate about {n} positions as part of a restructuring that shifts spending toward late-stage programs in {ind}, the company said in a regulatory filing.",
            ),
            (
                f"{co} beats {quarter}-quarter expectations on strong {ind} sales",
                f"{co} reported {quarter}-quarter revenue above analyst estimates, helped by its {ind} franchise, and raised full-year guidance.",
            ),
            (
                f"{co} names a new chief executive",
                f"{co} appointed a new chief executive officer, effective next month, as the current CEO retires after eight years in the role.",
            ),
            (
                f"{co} to build a ${amt:g}B manufacturing plant in {city}",
                f"{co} plans to invest ${amt:g} billion in a new plant in {city} to produce active ingredients for its {mod} pipeline, creating about {n} jobs.",
            ),
            (
                f"{co}'s {code} stumbles in phase 2 {ind} study",
                f"{co} said its {mod} {code} failed to separate from placebo on the primary endpoint of a phase 2 trial in {ind}. Shares fell in premarket trading.",
            ),
            (
                f"{co} and {co2} strike a ${amt:g}B {mod} licensing pact",
                f"{co} will pay {co2} upfront and up to ${amt:g} billion in milestones for rights to a {mod} for {ind}.",
            ),
            (
                "CMS names the next drugs for Medicare price negotiation",
                "The Centers for Medicare & Medicaid Services published the next list of drugs selected for price negotiation, including treatments for diabetes, cancer and heart failure.",
            ),
            (
                "Biotech index rallies as investors rotate into small caps",
                "Biotech shares rose for a third straight session as investors rotated into small-cap stocks, with M&A speculation supporting the sector.",
            ),
            (
                f"{co} starts phase 1 of a {mod} for {ind}",
                f"{co} dosed the first patient in a phase 1 study of {code}, a {mod} for {ind}.",
            ),
            (
                "Conference week logistics: shuttle schedules, badge pickup and the partnering app",
                "Attendees should collect badges at the main hall from Sunday; shuttles run every 15 minutes between the official hotels and the convention center.",
            ),
            (
                f"{co} wins EU approval for {code} in {ind}",
                f"The European Commission approved {co}'s {mod} {code} for adults with {ind}, following a positive CHMP opinion.",
            ),
            (
                "Senators question PBM rebate practices in a letter to insurers",
                "A bipartisan group of senators asked the largest pharmacy benefit managers to explain how rebates are passed on to patients at the pharmacy counter.",
            ),
            (
                f"{co} settles patent dispute over its {ind} blockbuster",
                f"{co} reached a settlement with generic makers that allows launches of generic versions of its {ind} drug in several years.",
            ),
        )
    title, text = rng.choice(kinds)
    return title, text


# --------------------------------------------------------------------------------------------------
# Assembly and writing
# --------------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70]


def build_week(
    stories: Sequence[Story], traps: Sequence[Trap], off_topic_count: int, seed: int
) -> dict[str, list[Item]]:
    rng = random.Random(seed)
    feeds: dict[str, list[Item]] = {s: [] for s in SOURCES}
    for story in stories:
        for copy in story.copies:
            feeds[copy.source].append(
                Item(
                    copy.source,
                    copy.title,
                    copy.text,
                    copy.days_ago,
                    copy.hour,
                    {
                        "relevant": True,
                        "story": story.story_id,
                        "event_type": story.event_type,
                        "significance": story.significance,
                        "must_include": story.must_include,
                    },
                )
            )
    for trap in traps:
        copy = trap.copy
        feeds[copy.source].append(
            Item(copy.source, copy.title, copy.text, copy.days_ago, copy.hour, {"relevant": False, "trap": trap.kind})
        )
    shares = {s: SOURCES[s][3] for s in SOURCES}
    total_share = sum(shares.values())
    titles = {i.title for items in feeds.values() for i in items}
    for source, share in shares.items():
        wanted = round(off_topic_count * share / total_share)
        made = attempts = 0
        while made < wanted:
            attempts += 1
            if attempts > 50 * wanted:
                raise RuntimeError(f"not enough distinct off-topic titles for {source}")
            title, text = _off_topic(rng, source)
            if title in titles:
                continue  # one title per item, as labels are matched by title
            titles.add(title)
            hour = f"{rng.randint(6, 20):02d}:{rng.choice(['00', '05', '15', '20', '30', '40', '45', '55'])}"
            feeds[source].append(Item(source, title, text, rng.randint(0, 6), hour, {"relevant": False}))
            made += 1
    for items in feeds.values():
        items.sort(key=lambda i: (i.days_ago, tuple(-int(x) for x in i.hour.split(":"))))
    return feeds


def _rss(source: str, items: list[Item]) -> str:
    title, site, _fmt, _share = SOURCES[source]
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0">',
        "  <channel>",
        f"    <title>{escape(title)}</title>",
        f"    <link>{site}</link>",
        "    <description>Evaluation week for Vectora Inbox: invented stories about real companies, labelled in labels.yaml.</description>",
        "    <language>en</language>",
        "    <lastBuildDate>{{date:0@00:00}}</lastBuildDate>",
    ]
    for item in items:
        link = site + _slug(item.title) + "/"
        parts += [
            "    <item>",
            f"      <title>{escape(item.title)}</title>",
            f"      <link>{link}</link>",
            f"      <guid>{link}</guid>",
            f"      <pubDate>{{{{date:-{item.days_ago}@{item.hour}}}}}</pubDate>",
            f"      <description>{escape(item.text)}</description>",
            "    </item>",
        ]
    parts += ["  </channel>", "</rss>", ""]
    return "\n".join(parts)


def _atom(source: str, items: list[Item]) -> str:
    title, site, _fmt, _share = SOURCES[source]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
        f'  <title type="text">{escape(title)}</title>',
        f"  <id>{site}feed/atom/</id>",
        f'  <link rel="alternate" type="text/html" href="{site}" />',
        "  <updated>{{isodate:0@00:00}}</updated>",
    ]
    for item in items:
        link = site + _slug(item.title) + "/"
        parts += [
            "  <entry>",
            f'    <title type="text">{escape(item.title)}</title>',
            f'    <link rel="alternate" type="text/html" href="{link}" />',
            f"    <id>{link}</id>",
            f"    <published>{{{{isodate:-{item.days_ago}@{item.hour}}}}}</published>",
            f"    <updated>{{{{isodate:-{item.days_ago}@{item.hour}}}}}</updated>",
            f'    <summary type="html">{escape("<p>" + escape(item.text) + "</p>")}</summary>',
            "  </entry>",
        ]
    parts += ["</feed>", ""]
    return "\n".join(parts)


def write_week(feeds: dict[str, list[Item]], directory: Path, description: str) -> dict[str, int]:
    directory.mkdir(parents=True, exist_ok=True)
    labels: dict[str, list[dict]] = {}
    for source, items in feeds.items():
        body = _atom(source, items) if SOURCES[source][2] == "atom" else _rss(source, items)
        (directory / f"{source}.xml").write_text(body, encoding="utf-8")
        labels[source] = [{"title": item.title, **item.label} for item in items]
    header = (
        f"# {description}\n"
        "# Generated by `python -m toolkit.drivers.eval_corpus`; do not edit by hand. One entry per item, in feed order:\n"
        "# relevant (on topic for an LAI newsletter), story (shared by copies of the same story in other\n"
        "# sources), event_type and significance as a careful editor would file them, must_include for the\n"
        "# week's important stories, trap for off-topic items that use LAI words in another sense.\n"
    )
    (directory / "labels.yaml").write_text(
        header + yaml.safe_dump(labels, sort_keys=False, allow_unicode=True, width=200), encoding="utf-8"
    )
    counts = {
        "items": sum(len(v) for v in feeds.values()),
        "relevant": sum(1 for v in feeds.values() for i in v if i.label["relevant"]),
    }
    return counts


WEEKS = {
    "week1": (WEEK1_STORIES, WEEK1_TRAPS, 146, 20261, "Evaluation week 1 (tuning week)."),
    "week2": (WEEK2_STORIES, WEEK2_TRAPS, 62, 20262, "Evaluation week 2 (held out: never used for tuning)."),
}


def generate(out_dir: Path = EVAL_DIR) -> dict[str, dict[str, int]]:
    summary = {}
    for name, (stories, traps, off_topic, seed, description) in WEEKS.items():
        summary[name] = write_week(build_week(stories, traps, off_topic, seed), out_dir / name, description)
    return summary


def realistic_week(directory: Path, items: int = 460, seed: int = 4242) -> dict[str, int]:
    """A larger week for the benchmark: the tuning week's stories and traps, padded with off-topic news to ~5 % relevant."""
    stories, traps = WEEK1_STORIES, WEEK1_TRAPS
    on_topic = sum(len(s.copies) for s in stories)
    feeds = build_week(stories, traps, items - on_topic - len(traps), seed)
    return write_week(feeds, directory, "Realistic benchmark week (about 5 % on topic).")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit.drivers.eval_corpus", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EVAL_DIR)
    parser.add_argument(
        "--realistic-week", type=Path, default=None, help="write the benchmark's large week to this folder instead"
    )
    args = parser.parse_args(argv)
    if args.realistic_week:
        print(realistic_week(args.realistic_week))
    else:
        for name, counts in generate(args.out).items():
            print(f"{name}: {counts['items']} items, {counts['relevant']} relevant")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
