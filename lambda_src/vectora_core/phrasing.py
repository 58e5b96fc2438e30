"""How news of any field is told (pure): which part of a sentence is its own subject, and which words tell an event.

Field knowledge — names, the field's words, its event types — stays in the client's canonical scopes. What is here
holds for pharma news of every field:

- A watched name can be the yardstick a story is measured against rather than its subject. After a cue, what
  follows is the yardstick: "could compete with X", "an alternative to X", "compared with X", "non-inferior to X",
  "patients who would rather avoid X". Before a cue, what precedes it back to the clause's start is: "X faces an
  oral challenger", "X's new rival", "with X cited as the biggest cost drivers".
- A regulatory filing is told in many verbs: "files X with the FDA", "submitted", "seeks approval", "applied
  for marketing authorisation"; a decision in idioms ("nod", "signs off", "green light"); a lawsuit as "sues",
  "lawsuit", "takes X to court", "appeals court"; a financing as "raises $600 million", "venture debt facility".
  These add to the client's event rule of that name (`regulatory`, `patent`, `financing`), when its scopes have
  one.
- Some phrases look like an event word and are not one: "buying up to 30 months" or "buying time" is no purchase.
- A headline about animals' medicine ("animal health", "for cattle") is no news of a field of human medicines.
"""

from __future__ import annotations

import re

from .text import split_sentences

# What follows one of these, in the same sentence, is the yardstick.
_YARDSTICK_AFTER = re.compile(
    r"\b(?:compet\w*|rivals?|rivaling|versus|vs\.?|threat\w*|challengers?|alternatives? (?:to|for)|instead of|"
    r"rather than|refuses?|refusing|declines? (?:long|an|the|their)|do not want|"
    r"compared (?:with|to)|in comparison (?:with|to)|relative to|non-?inferior(?:ity)? (?:to|with|versus|vs\.?)|"
    r"superior(?:ity)? (?:to|over)|as effective as|(?:would rather|prefers? to|preferring to|choose to) avoid|"
    r"stack(?:s|ed|ing)? up (?:against|to)|over (?:high-dose|standard(?:-of-care)?|current|existing|approved)|"
    r"outperform\w*|outshin\w*|beat(?:s|ing)?|aim(?:s|ed|ing)? (?:squarely |directly )?at|"
    r"approach(?:es|ed|ing)? (?:those|that|the [\w-]+) (?:of|for|reported for|seen with)|"
    r"(?:get|gets|getting|offer|offers|offering|deliver|delivers|bring|brings) the (?:[\w-]+ )?benefits? of)\b",
    re.IGNORECASE,
)
# A cue whose yardstick is what precedes it: facing a rival, a possessive rival, a cost driver.
_YARDSTICK_BEFORE = re.compile(
    r"\b(?:fac(?:e|es|ed|ing)|confront(?:s|ed|ing)?|gets?|got|sees?|meets?)(?:\s+[\w'’-]+){0,3}?\s+"
    r"(?:rivals?|challengers?|competitors?|competition|threats?)\b"
    r"|(?<=\w)['’]s(?:\s+[\w-]+){0,2}?\s+(?:rivals?|challengers?|competitors?)\b"
    r"|\b(?:(?:cited|named|listed|seen|singled out|flagged|identified|ranked) as (?:the |a )?(?:[\w-]+ ){0,2}?)?"
    r"(?:cost|spending|budget) drivers?\b"
    r"|\bdriv(?:e|es|ing) (?:up )?(?:costs?|spending)\b",
    re.IGNORECASE,
)
# Where a clause starts, looking back from a cue: a comma, a semicolon, a colon, a dash, or a conjunction that
# joins clauses (not "and", which also joins the names of one subject: "Aristada and Invega face a rival").
_CLAUSE_START = re.compile(r"[,;:(—–]|\s-\s|\b(?:while|whereas|but|as)\b", re.IGNORECASE)


def _clause_start(sentence: str, position: int) -> int:
    starts = [m.end() for m in _CLAUSE_START.finditer(sentence, 0, position)]
    return starts[-1] if starts else 0


def own_subject(sentence: str) -> str:
    """The sentence without its yardsticks (blanked before a cue, cut after one): what it is about itself."""
    for match in _YARDSTICK_BEFORE.finditer(sentence):
        start = _clause_start(sentence, match.start())
        sentence = sentence[:start] + " " * (match.end() - start) + sentence[match.end() :]
    cue = _YARDSTICK_AFTER.search(sentence)
    return sentence[: cue.start()] if cue else sentence


# A headline about animals' medicine: a newsletter of human medicines leaves it out, whatever words of its field it uses.
_FOR_ANIMALS = re.compile(
    r"\b(?:animal health|veterinar\w*|livestock|cattle|poultry|swine|companion animals?|pets?|dogs?|cats?|horses?)\b",
    re.IGNORECASE,
)


def for_animals(title: str) -> bool:
    return bool(_FOR_ANIMALS.search(title))


def subject_text(title: str, text: str) -> str:
    """Title and text, each sentence without its yardsticks: the story's own subject."""
    return "\n".join(own_subject(sentence) for sentence in [title, *split_sentences(text)])


_REGULATOR = (
    r"(?:the )?(?:U\.S\. |US |European |Japanese |Chinese |UK )?(?:FDA|EMA|MHRA|PMDA|NMPA|CHMP|Health Canada|"
    r"Food and Drug Administration|European Medicines Agency|European Commission|regulators?|agency|authorities)"
)
_FILED = (
    r"(?:files?|filed|filing|submits?|submitted|submitting|resubmit(?:s|ted)?|applies|applied|applying|seeks?|"
    r"seeking|sought)"
)
# Said of a client's event type of this name: decisive phrases count three times a keyword, as the scopes' own.
EVENT_PHRASES = {
    "regulatory": {
        "decisive": (
            rf"{_FILED}(?: [\w'’.®-]+){{0,5}}? (?:with|to) {_REGULATOR}\b",
            rf"{_FILED} (?:for )?(?:[\w-]+ ){{0,2}}?(?:approval|marketing authori[sz]ation|authori[sz]ation|clearance)\b",
            r"\b(?:new drug|biologics license|marketing authori[sz]ation|regulatory) (?:applications?|submissions?|filings?)\b",
        ),
        "keywords": (
            r"\bnod\b|\bsigns? off\b|\bsigned off\b|\bgreen[- ]?light(?:s|ed)?\b|\bthumbs[- ]up\b",
            r"\bturn(?:s|ed)? (?:back|down)\b|\brebuff(?:s|ed)?\b|\bknock(?:s|ed)? back\b",
        ),
    },
    "patent": {
        "decisive": (
            r"\bsu(?:es|ed|ing)\b|\blawsuits?\b|\b(?:patent|infringement|antitrust) suits?\b|\bfile[sd]? (?:a )?suit\b",
            r"\b(?:takes?|taken|took|taking)\b(?: [\w'’-]+){0,10}? to court\b",
            r"\b(?:appeals?|federal|district|supreme|high|circuit) court\b|\bcourt (?:rul\w*|sides?|sided|uph\w*|block\w*)",
        ),
        "keywords": (r"\bjudge\b|\bjury\b",),
    },
    "financing": {
        "decisive": (
            r"\brais(?:es|ed|ing) (?:\$|€|£|US\$|USD |EUR |SEK |DKK |CHF )?\d",
            r"\b(?:venture debt|debt financing|(?:credit|loan|debt) facilit(?:y|ies)|term loan)\b",
        ),
        "keywords": (),
    },
}
# The same events as the field's press tells them in French, German, Spanish, Italian, Portuguese, Swedish, Chinese
# and Japanese, and in the verbs and idioms of English trade press beyond the scopes' keywords. Chinese and Japanese
# write no spaces between words, so their phrases stand without word boundaries.
_MONEY = r"(?:\$|€|£|US\$|USD |EUR |SEK |DKK |CHF |NT\$)\s?\d[\d.,]*\s?(?:B|bn|billion|M|m|million)?"
_ACCENTED_PHRASES = {
    "regulatory": {
        "decisive": (
            r"\b(?:EU-)?Zulassung\w*\b|\bzugelassen\b|\bautorisation de mise sur le marché\b|\bfeu vert\b",
            r"\baprobaci[óo]n\b|\baprueba\b|\bapprovazione\b|\bapprova(?:to|ta)?\b|\baprova(?:ção|do|da)?\b",
            r"\bgodkänn(?:ande|er|s)\b|\bgodkänd\b|获批|批准|上市许可|承認",
            r"\b(?:adds?|added|requires?|required|imposes?|picks? up|new|boxed)\b(?: [\w'’®-]+){0,4}? warning\b",
            r"\bimpose une mise en garde\b|\bmise en garde\b|\b(?:summary )?safety review\b",
            r"\b(?:priority|accelerated|speedy|speed(?:s|ed)?(?: up)?|fast[- ]track(?:s|ed)?) (?:its |the )?review\b",
            r"\b(?:picks? up|wins?|wons?|gets?|lands?|earns?)\b(?: [\w'’-]+){0,4}? nod\b|\bwarning letters?\b|\bcrackdown\b",
        ),
        "keywords": (
            r"\bwarning\b|\bWarnhinweis\b|\bavvertenza\b|\badvertencia\b|\bsafety communication\b|\bwarns\b",
            r"\b(?:very )?rare risk\b|\bside effects?\b|\badverse (?:drug )?reactions?\b|\bproduct information\b",
        ),
    },
    "financing": {
        "decisive": (
            r"\blève\b|\blevée de fonds\b|\baugmentation de capital\b|\bplacement privé\b|\bacquérir\b",
            r"\brach(?:ète|at)\b|\bs['’]offre\b|\bmet la main sur\b|\bübernimmt\b|\bÜbernahme\b",
            r"\bKapitalerhöhung\b|\badquiere\b|\badquisici[óo]n\b|\bampliaci[óo]n de capital\b",
            r"\bacquisisce\b|\bacquisizione\b|\baumento di capitale\b|\badquire\b|\baquisição\b",
            r"\bförvärv(?:ar|et)?\b|\bnyemission\b|收购|併購|合并协议|合併協議|增资|配售|融资|買収|増資|資金調達",
            rf"\b(?:bets?|spends?|pays?|shells? out)\s(?:(?:up to|about|around|nearly|some)\s)?{_MONEY}\s(?:on|for)\b",
            r"\bagree[sd]? to (?:buy|acquire)\b",
        ),
        "keywords": (r"\bpremium\b|\bper share\b|\bpar action\b|\bje Aktie\b|每股",),
    },
    "partnership": {
        "decisive": (
            r"\blicen[cs](?:e|ing) (?:agreement|deal|pact)\b|\bexclusive licen[cs]e\b|\bin-licen[cs]\w*\b",
            r"\b(?:pact|agreement|licen[cs]e) worth\b",
            r"\baccord de (?:licence|collaboration|partenariat)\b|\bLizenz(?:vereinbarung|abkommen|vertrag)\b",
            r"\bacuerdo de licencia\b|\baccordo di licenza\b|\bacordo de licen[çc]a\b",
            r"\blicensavtal\w*\b|\bsamarbetsavtal\w*\b|授权|授權|许可协议|ライセンス契約|独占的権利|導入",
        ),
        "keywords": (r"\bpact\b|\bupfront\b|\bpartenariat\b|\bPartnerschaft\b|\balianza\b|\bparceria\b|提携",),
    },
    "manufacturing": {
        "decisive": (
            r"\brecalls?\b|\brecalled\b|\b(?:medicines? |product )?defect\b|\bLieferengp[aä]ss\w*\b|\bEngpass\b",
            r"\bpénurie\b|\brupture de stock\b|\bdesabastecimiento\b|\bcarenza\b|\bdesabastecimento\b",
            r"\brestnoter\w*\b|\bleveransproblem\w*\b|\bRückruf\w*\b|\brappel de lots?\b",
            r"召回|短缺|断供|生产基地|現場检查|现场检查|回収|供給不足|出荷調整|限定出荷",
        ),
        "keywords": (r"\binspection\b|\bForm 483\b|\bcGMP\b|\blot\b|\bHerstellung\b|\bescasez\b",),
    },
    "clinical": {
        "decisive": (),
        "keywords": (
            r"\banalys[ie]s\b|\bétude\b|\bessai\b|\bcritère principal\b|\bStudie\w*\b|\bestudios?\b",
            r"\bensayos?\b|\bregistro\b|\bstudio\b|\bestudo\b|\bstudien?\b|研究|试验|臨床|治験|試験",
        ),
    },
    "market_access": {
        "decisive": (r"\bself-pay price\b|\bprice cut\b|薬価|医保",),
        "keywords": (
            r"\bcover(?:s|ed|ing)?\b|\bdrug lists?\b|\bpris(?:en|et|er)?\b|\bPreis\w*\b|\bprix\b|\bprecio\b",
            r"\bprezzo\b|\bpreço\b|\bremboursement\b|\bErstattung\b|\breembolso\b|\brimborso\b|保険適用|降价",
        ),
    },
}
for _type, _tiers in _ACCENTED_PHRASES.items():
    _own = EVENT_PHRASES.setdefault(_type, {})
    for _tier, _patterns in _tiers.items():
        _own[_tier] = tuple(_own.get(_tier, ())) + _patterns
# Phrases that hold an event word in another sense, blanked before events are filed: a purchase of time, and what
# money is for ("raises $600 million to take its GLP-1 into phase 3": the event is the money, not the phase 3).
_NOT_EVENTS = re.compile(
    r"\bbuy(?:s|ing)? (?:(?:up to|about|around|nearly|another|more|some|extra|at least|itself|themselves) )*"
    r"(?:time|\d+ (?:more )?(?:days|weeks|months|years))\b",
    re.IGNORECASE,
)
_PROCEEDS = re.compile(
    r"(?P<money>(?:\$|€|£|US\$)\s?\d[\d.,]*\s*(?:million|billion|bn|[MB])?\b[^.;]{0,60}?\s)"
    r"(?P<purpose>(?:to|for) (?:fund|financ\w*|run|take|advance|support|bankroll|pay for|push|move|develop\w*|"
    r"bring|carry)\b[^.;]*)",
    re.IGNORECASE,
)
_COMPILED = {
    event_type: {tier: tuple(re.compile(p, re.IGNORECASE) for p in patterns) for tier, patterns in tiers.items()}
    for event_type, tiers in EVENT_PHRASES.items()
}


def without_false_events(text: str) -> str:
    """The text with phrases that only look like an event ("buying time", what money raised is for) blanked, offsets
    kept."""
    text = _NOT_EVENTS.sub(lambda m: " " * len(m.group(0)), text)
    return _PROCEEDS.sub(lambda m: m["money"] + " " * len(m["purpose"]), text)


def event_phrases(event_type: str, text: str) -> tuple[int, int, str]:
    """How the text tells an event of this type in words every field shares: its decisive and keyword hits, and
    the text with those phrases blanked, for the field's own words to count only what they add ("appeals court"
    counts once, as an appeals court, not again as a "court")."""
    tiers = _COMPILED.get(event_type, {})
    hits = []
    for tier in ("decisive", "keywords"):
        found = 0
        for pattern in tiers.get(tier, ()):
            for match in pattern.finditer(text):
                found += 1
                text = text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]
        hits.append(found)
    return hits[0], hits[1], text
