"""The stories and traps of the generated evaluation weeks (week1 and week2, both tuning weeks).

Every story is invented sample data about real companies; no quote is attributed to a real person. A story is
told by one to three sources (`Copy`), in their own words; a trap is an off-topic item that uses the field's
words in another sense or names a watched company or product only as a competitor.
"""

from __future__ import annotations

from dataclasses import dataclass


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
