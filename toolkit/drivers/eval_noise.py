"""Off-topic pharma news for the evaluation weeks, composed from varied templates (no long-acting angle)."""

from __future__ import annotations

import random

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


def off_topic(rng: random.Random, source: str) -> tuple[str, str]:
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
