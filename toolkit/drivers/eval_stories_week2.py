"""The stories and traps of the generated week2 (held out in the first measurement, a tuning week since)."""

from __future__ import annotations

from .eval_stories import Copy, Story, Trap

# --------------------------------------------------------------------------------------------------
# Week 2: written apart from week 1; held out in the first measurement, a tuning week since it was read.
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
