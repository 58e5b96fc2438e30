"""What the stand-in's "reader" knows of the long-acting-injectable field: names, event words, other senses.

A language model brings this knowledge with it; the stand-in, which imitates one, keeps it here. How a sentence of
news is read whatever its field (a watched name as the yardstick, "files ... with the FDA", "sues") is the engine's
`vectora_core.phrasing`, read the same way by both.
"""

from __future__ import annotations

import re

COMPANIES = (
    "MedinCell",
    "Camurus",
    "Indivior",
    "Alkermes",
    "Luye Pharma",
    "Tolmar",
    "Foresee Pharmaceuticals",
    "Ascendis Pharma",
    "Pacira BioSciences",
    "Heron Therapeutics",
    "Johnson & Johnson",
    "Janssen",
    "Otsuka",
    "Lundbeck",
    "Teva",
    "ViiV Healthcare",
    "Gilead",
    "Novartis",
    "Ipsen",
    "AbbVie",
    "Pfizer",
)
TRADEMARKS = (
    "UZEDY",
    "TEV-'749",
    "Buvidal",
    "CAM2029",
    "Brixadi",
    "SUBLOCADE",
    "PERSERIS",
    "ARISTADA",
    "VIVITROL",
    "RYKINDO",
    "ELIGARD",
    "CAMCEVI",
    "SKYTROFA",
    "EXPAREL",
    "SUSTOL",
    "ZYNRELEF",
    "INVEGA SUSTENNA",
    "INVEGA TRINZA",
    "INVEGA HAFYERA",
    "ABILIFY MAINTENA",
    "ABILIFY ASIMTUFII",
    "CABENUVA",
    "APRETUDE",
    "SUNLENCA",
    "YEZTUGO",
    "SANDOSTATIN LAR",
    "SOMATULINE DEPOT",
    "LUPRON DEPOT",
    "DEPO-PROVERA",
)
MOLECULES = (
    "risperidone",
    "olanzapine",
    "buprenorphine",
    "octreotide",
    "aripiprazole lauroxil",
    "aripiprazole",
    "naltrexone",
    "leuprolide",
    "lonapegsomatropin",
    "bupivacaine",
    "meloxicam",
    "granisetron",
    "paliperidone palmitate",
    "paliperidone",
    "cabotegravir",
    "rilpivirine",
    "lenacapavir",
    "lanreotide",
    "medroxyprogesterone",
    "celecoxib",
)
TECHNOLOGIES = (
    "PLGA",
    "microspheres",
    "microsphere",
    "in-situ forming",
    "Atrigel",
    "BEPO",
    "FluidCrystal",
    "nanocrystal",
    "liposomal",
    "liposomes",
    "DepoFoam",
    "implant",
    "prodrug",
    "TransCon",
    "PEGylation",
    "Medisorb",
    "LinkeRx",
    "Biochronomer",
    "long-acting injectable",
)
# Words that look like molecules by their ending but are everyday English.
NOT_MOLECULES = frozenset(
    {
        "medicine",
        "medicines",
        "pipeline",
        "guideline",
        "headline",
        "deadline",
        "baseline",
        "timeline",
        "determine",
        "combine",
        "routine",
        "discipline",
        "magazine",
        "machine",
        "examine",
        "undermine",
        "decline",
        "online",
        "outside",
        "worldwide",
        "nationwide",
        "milestone",
        "cornerstone",
        "provide",
        "override",
        "otherwise",
        "backbone",
        "telephone",
        "everyone",
        "framework",
    }
)
MOLECULE_SUFFIX = re.compile(r"\b[a-z]{5,}(?:pine|one|ine|ide|vir)\b")
MARKED_TRADEMARK = re.compile(r"\b([A-Z][A-Za-z0-9-]{2,})\s?[®™]")

# (type-name stems the rule can map to, keywords in the item). Ordered by priority for ties.
EVENT_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("regulat", "approv"),
        (
            "fda",
            "ema",
            "chmp",
            "approval",
            "approved",
            "approves",
            "complete response",
            "nda",
            "snda",
            "bla",
            "marketing authorization",
            "marketing authorisation",
            "label",
            "pdufa",
            "mhra",
            "nmpa",
            "regulatory",
            "rejects",
            "nod",
            "signed off",
            "regulators",
            # what a model reads in French regulatory news
            "approuve",
            "approbation",
            "avis favorable",
            "mise sur le marché",
        ),
    ),
    (
        ("clinic", "trial"),
        (
            "phase 1",
            "phase 1b",
            "phase 2",
            "phase 2b",
            "phase 3",
            "trial",
            "topline",
            "top-line",
            "readout",
            "study",
            "enrolled",
            "enrollment",
            "primary endpoint",
            "first patient dosed",
            "clinical",
            "real-world",
            "adherence",
            "persistence",
            "retention",
            "poster",
            "registry",
            "data",
        ),
    ),
    (
        ("partner", "licens", "collab", "allian"),
        (
            "partnership",
            "partner",
            "partners",
            "collaboration",
            "license",
            "licensing",
            "agreement",
            "alliance",
            "co-development",
        ),
    ),
    (
        ("financ", "fund", "acqui", "merger", "invest"),
        (
            "acquire",
            "acquires",
            "acquisition",
            "merger",
            "financing",
            "raises",
            "raised",
            "funding",
            "ipo",
            "offering",
            "investment",
            "private placement",
            "series a",
            "series b",
            "buyout",
            "buying",
            "grant",
            "convertible notes",
            "upfront",
            "buy",
            "buys",
            "takeover",
            "cash offer",
            "public offer",
            "tender offer",
        ),
    ),
    (
        ("patent", "litig", "legal"),
        ("patent", "patents", "litigation", "lawsuit", "court", "infringement", "settlement", "paragraph iv"),
    ),
    (
        ("manufactur", "supply", "production"),
        ("manufacturing", "manufacture", "facility", "plant", "supply", "shortage", "capacity", "cdmo", "production"),
    ),
    (
        ("launch", "commercial"),
        ("launch", "launches", "launched", "now available"),
    ),
    (
        ("access", "pric", "reimburs", "payer", "coverage"),
        (
            "coverage",
            "covers",
            "covering",
            "reimbursement",
            "medicare",
            "medicaid",
            "payer",
            "payers",
            "formulary",
            "list price",
            "price cut",
            "pricing",
            "copay",
            "cash price",
            "self-pay",
            "cash-pay",
        ),
    ),
    (
        ("earning", "financial_result", "quarter"),
        ("quarter", "quarterly", "revenue", "earnings", "full-year"),
    ),
)
EVENT_PATTERNS = tuple(
    (stems, tuple(re.compile(r"(?<![\w-])" + re.escape(k) + r"(?![\w-])") for k in keywords))
    for stems, keywords in EVENT_RULES
)
FALLBACK_STEMS = ("other", "general", "misc", "news", "corporate")
# Phrases a careful reader files on sight, whatever else the item talks about (a complete response
# letter about a plant's inspection is still a regulatory decision): each counts three times.
DECISIVE = {
    "regulat": ("complete response", "rejects", "approves", "approved", "positive opinion", "accepted for review"),
    "clinic": ("real-world", "adherence", "persistence", "retention", "topline", "phase 3", "completes enrollment"),
    "financ": ("acquire", "acquisition", "buyout", "convertible notes", "grant", "takeover", "cash offer"),
    "patent": ("paragraph iv", "patent infringement", "patents"),
}
DECISIVE_PATTERNS = {
    stem: tuple(re.compile(r"(?<![\w-])" + re.escape(k) + r"(?![\w-])") for k in keywords)
    for stem, keywords in DECISIVE.items()
}

# What the stand-in's "reader" knows of the long-acting-injectable field, to judge significance and
# whether an item is about the field at all (the prompt asks for both).
# A model reads the field's press in its other languages too: French, German, Spanish, Italian, Portuguese, Swedish,
# Chinese and Japanese (whose words stand without spaces, so without word boundaries).
LAI_WORDS = re.compile(
    r"(?<![\w-])(?:long-acting|extended-release|prolonged-release|depot|implant|implants|injectable|injectables|"
    r"injection|shot|subcutaneous|once-monthly|every two months|every-two-months|three-month|six-month|"
    r"twice-yearly|microspheres?|in-situ|prep|"
    r"action prolongée|libération prolongée|microsphères|sous-cutanée?|Depotinjektion\w*|Depotspritze\w*|"
    r"Depot-\w+|Mikrosphären|langwirksame?s?|subkutane?s?|inyectables?|larga duración|liberación prolongada|"
    r"microesferas|iniettabili|iniettabile|lunga durata d'azione|rilascio prolungato|microsfere|injetáveis|injetável|"
    r"longa duração|liberação prolongada|långverkande|depåinjektion\w*|månadsdepå)(?![\w-])"
    r"|长效|長效|微球|注射剂|注射液|注射用|持効性|持続性注射|注射剤|マイクロスフェア",
    re.IGNORECASE,
)
OTHER_SENSES = re.compile(
    r"(?:distribution depots?|regional distribution depots|breast implants?|breast implant-associated|textured implants|"
    r"dental implants?|implant procedure|cochlear implants?|long-acting (?:inhaler|muscarinic antagonist|beta agonist|"
    r"bronchodilators?|insulin(?: analog)?)|(?:yttrium-90 |y-90 )?glass microspheres|extended-release (?:tablets?|capsules?|oral))",
    re.IGNORECASE,
)
PURE_PLAYERS = (
    "MedinCell",
    "Camurus",
    "Indivior",
    "Alkermes",
    "Luye Pharma",
    "Tolmar",
    "Foresee Pharmaceuticals",
    "Ascendis Pharma",
    "Ascendis",
    "Pacira BioSciences",
    "Heron Therapeutics",
    "Luye",
    "Foresee",
)

# The same names as the field's other languages and scripts write them.
PURE_PLAYERS += ("绿叶制药", "綠葉製藥", "緑葉製薬", "逸達生技", "逸达生技")
COMPANIES += PURE_PLAYERS[-5:] + ("大塚製薬", "益普生")
MOLECULES += (
    "Risperidon",
    "risperidona",
    "利培酮",
    "リスペリドン",
    "Olanzapin",
    "olanzapina",
    "オランザピン",
    "Aripiprazol",
    "アリピプラゾール",
    "Paliperidon",
    "paliperidona",
    "Buprenorphin",
    "buprenorfin",
    "buprenorfina",
    "Naltrexon",
    "leuprorelin",
    "Leuprorelina",
)
TRADEMARKS += ("瑞欣妥",)
