"""Story identity (pure): the week's items clustered into stories by event — who, which product, what happened,
when — rather than by the names they share.

Each pair of items is weighed. Some differences rule a pair out whatever else they share: two products named as the
subject (one of them in a title) and none in common, two molecules, two sets of companies or two regulators and none in
common, headlines about different watched companies, events of different sections, a major event beside a minor one,
two named trials, two things a regulator did (a filing, a decision, a safety warning, an action against sellers), a
price or coverage in two markets, more than three days apart. A headline's backdrop ("... as Uzedy keeps growing")
names no subject, and one deal both headlines tell by the same two parties may recall different products.
Otherwise evidence adds up: the same subject product, molecule, company, regulator, event type, amount of money, the
same proper names and wording, close dates; a product one headline names and the other item never mentions weighs
against.
An item whose event was not recognised (`other`) needs more evidence, and so does a second item of one source (a
trade outlet's follow-up, a bilingual press office). Pairs above the bar are joined, strongest first, and two groups
are joined only when no pair across them is ruled out, so a roundup that names two products cannot chain them.

Field knowledge stays in the client's config: products, molecules and companies come from its canonical scopes,
event types and their sections from its config. What is here is how news of any field tells one event.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

from .extraction import _alias_pattern, latin_view, mask_other_senses
from .models import ClientConfig, NormalizedItem, Scopes, ScoredItem
from .scoring import Candidate
from .text import reads_in

MAX_DAYS_APART = 3
SAME_STORY = 4.0  # evidence needed to tell one story
UNTYPED_EXTRA = 0.5  # more when one item's event was not recognised
SAME_SOURCE_EXTRA = 1.0  # more for a second item of the same source: a source seldom tells one event twice
COVERAGE_POINTS = 0.5  # per extra source telling the same story
SIGNIFICANCE_RANK = {"minor": 1, "notable": 2, "major": 3}
EVIDENCE = {
    "product": 3.0,
    "product_in_text": 2.0,  # one names it as its subject, the other only further down
    "molecule": 1.5,
    "company": 1.0,  # per company shared, up to two
    "regulator": 1.0,
    "event_type": 1.0,
    "amount": 2.0,
    "name": 0.75,  # per proper name shared, up to three
    "two_parties": 2.0,  # both headlines name the same two parties, one the watch list does not know (a buyer)
    "headline_product_missing": -3.0,  # one headline names a product the other item never names
    "other_partner": -3.0,  # each headline names a party the watch list does not know, which the other never names
    "wording": 4.0,  # times the Jaccard similarity of the content words
    "same_day": 0.5,
}
# Drug regulators of the world: a story about one's decision is not a story about another's. Each is named in the
# field's other languages too; an acronym is read in `latin_view`, so "美国FDA" names the FDA.
REGULATORS = {
    "FDA": r"\bFDA\b|Food and Drug Administration|美国食品药品监督管理局|米食品医薬品局",
    "EMA": r"\bEMA\b|\bCHMP\b|\bPRAC\b|European Medicines Agency|European Commission|Agence européenne des médicaments"
    r"|Commission européenne|Europäische Kommission|Comisión Europea|Commissione europea|Comissão Europeia"
    r"|Europeiska kommissionen|欧盟委员会|欧州委員会|欧州医薬品庁",
    "MHRA": r"\bMHRA\b|Medicines and Healthcare products Regulatory Agency|Commission on Human Medicines|Yellow Card",
    "PMDA": r"\bPMDA\b|\bMHLW\b|Ministry of Health, Labour and Welfare|厚生労働省|厚労省|医薬品医療機器総合機構",
    "NMPA": r"\bNMPA\b|National Medical Products Administration|国家药监局|国家药品监督管理局",
    "Health Canada": r"\bHealth Canada\b|\bSanté Canada\b",
}
_REGULATOR_PATTERNS = {name: re.compile(pattern) for name, pattern in REGULATORS.items()}
# What a regulator did, as a headline tells it: a filing, a decision, a safety warning or an action against
# sellers are four events even of one regulator and one drug. In order: the first that a headline tells is its act
# ("seeks approval" is a filing, "approves ... with a boxed warning" a decision).
_ACTS = (
    (
        "enforcement",
        r"\bwarning letters?\b|\bcrackdown\b|\billegal(?:ly)?\b|\bunapproved\b|\bwarns\b(?: [\w'’-]+){0,2}? "
        r"(?:firms|companies|sellers|pharmacies|compounders|telehealths?|websites)\b",
    ),
    (
        "filing",
        r"\b(?:files?|filed|filing|submits?|submitted|submission|seeks?|seeking|sought|applies|applied|"
        r"applications?|accepted for review|in front of)\b|\bdemande d['’]autorisation\b|申请|申請",
    ),
    (
        "decision",
        r"\b(?:approv(?:es|ed|al)|authori[sz](?:es|ed|ation)|clears?|cleared|clearance|nod|green[- ]light|"
        r"signs? off|positive opinion|recommends? approval)\b|Zulassung|zugelassen|aprobaci|aprueba|approvazione|"
        r"aprova|godkän|获批|批准|承認",
    ),
    ("safety", r"\b(?:warnings?|safety|risks?|side effects?|mise en garde|Warnhinweis\w*)\b"),
)
# A trailing clause with its own subject and verb, opened by "as", "while" or "amid": the backdrop of a headline.
# So is a purpose clause: "Ipsen bets €1.1B on Foresee to fill the gap Somatuline's generics are leaving".
_BACKDROP = re.compile(
    r",?\s+(?:as|while|even as|amid)\s+(?:[\w'’®-]+\s+){1,3}?"
    r"(?:keeps?|continues?|grows?|climbs?|rises?|soars?|slides?|falls?|slows?|faces?|stalls?|looms?|waits?)\b.*$"
    r"|,?\s+to (?:fill|offset|counter|replace|make up for|plug|shore up|compensate for)\b.*$"
)
_ACT_PATTERNS = tuple((act, re.compile(pattern, re.IGNORECASE)) for act, pattern in _ACTS)
# Trials by their names (TRIUMPH-1, SURMOUNT-5, TRANSCEND-T2D-1): two readouts of one drug are two events.
_TRIAL = re.compile(r"\b(?!COVID)[A-Z][A-Z0-9]{3,}(?:-[A-Z0-9]+)*-\d+[A-Z]?\b")
# Markets a price or coverage decision applies to: one in the US and one in Japan are two events. (Named in the title
# or summary: a press release's dateline is not in its summary.)
MARKETS = {
    # ... and a price in US dollars ("$199 per month"; not NT$, CA$ or A$), and the US's payers
    "US": r"\b(?:US|U\.S\.|USA|United States|American?)\b|美国|米国|(?<![A-Za-z])\$\s?\d"
    r"|\b(?:Medicare|Medicaid|CMS|PBMs?|CVS|Caremark|Express Scripts|Optum Rx|Cigna|UnitedHealthcare|Humana|Aetna)\b",
    "Japan": r"\bJapan(?:ese)?\b|日本|中医協|中央社会保険医療協議会|薬価",
    "China": r"\bChin(?:a|ese)\b|中国|医保",
    "UK": r"\b(?:UK|U\.K\.|Britain|British|England|NHS|NICE)\b",
    "Germany": r"\bGerman[y]?\b|\bDeutschland\b|\bdeutsch\w*|\bAllemagne\b",
    "France": r"\bFrance\b|\bFrench\b|\bHAS\b",
    "Canada": r"\bCanad(?:a|ian)\b",
}
_MARKET_PATTERNS = {name: re.compile(pattern) for name, pattern in MARKETS.items()}
_REGULATOR_WORDS = frozenset({"FDA", "EMA", "CHMP", "PRAC", "MHRA", "PMDA", "MHLW", "NMPA", "EU", "US", "U.S.", "UK"})
_WORD = re.compile(r"[a-zà-ÿ0-9]{4,}")
_NAME = re.compile(r"\b[A-Z][\w'’-]*[A-Z0-9][\w'’-]*|\b[A-Z][a-z]+[A-Z][\w-]*")  # UZEDY, CAM2029, FluidCrystal
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ]{2,}\b")  # a capitalised word inside a sentence
_AMOUNT = re.compile(
    r"(?P<currency>\$|US\$|USD|€|EUR|£|GBP|SEK|DKK|CHF)\s?(?P<value>\d+(?:[.,]\d+)?)\s?(?P<unit>billion|bn|B|million|M)\b"
    # "2,5 milliards de dollars", "40 millions d'euros": French and the like write the currency after
    r"|(?P<value2>\d+(?:[.,]\d+)?)\s(?P<unit2>milliards?|millions?|Milliarden|Millionen)\s(?:de |d')?"
    r"(?P<currency2>dollars|euros|US-Dollar|Euro)"
)
_WORDED_CURRENCY = {"dollars": "$", "US-Dollar": "$", "euros": "€", "Euro": "€"}
# Capitalised in a headline without naming a party: headline openers, regions and nationalities, months.
_HEADLINE_WORDS = frozenset(
    "the a an why how what who new first after as in on for at from with europe european america american "
    "asia asian china chinese japan japanese sweden swedish france french germany german denmark danish "
    "britain british swiss india indian korea korean canada canadian brazil latin african africa "
    "january february march april may june july august september october november december".split()
)
_STOPWORDS = frozenset(
    "that this with from have been will their which were after about into more than also said says would could "
    "today announced company companies other first over under when while such them they there these those year "
    "years week weeks month months each only most some what where your based used uses include including".split()
)


@dataclass(frozen=True)
class Facts:
    """What tells one event from another, computed once per item (pairs are many)."""

    source_id: str
    event_type: str
    section_id: str
    significance: int  # 0 when the event was not recognised
    timestamp: float
    dated: bool
    products: frozenset  # named in the title or summary: what the item is about
    title_products: frozenset  # named in the title: surely what it is about
    makers: frozenset  # (product, its maker) for each product of the title
    context_products: frozenset  # named anywhere in the item
    molecules: frozenset
    companies: frozenset
    regulators: frozenset
    names: frozenset
    parties: frozenset  # who the headline is about
    outside_parties: frozenset  # those of them the client's scopes do not watch (a buyer, a new partner)
    mentions: frozenset  # every word of the title and summary, lower-cased as `_parties` spells a party
    amounts: frozenset
    words: frozenset
    acts: frozenset = frozenset()  # what the headline says a regulator did (`_ACTS`)
    title_companies: frozenset = frozenset()  # the watched companies the headline names
    trials: frozenset = frozenset()  # trials named in the title or summary
    markets: frozenset = frozenset()  # countries named in the title or summary


@lru_cache(maxsize=8)
def _matchers(scopes: Scopes):
    def matcher(entities, compounds=False):
        return tuple((e.name, _alias_pattern(e.aliases, compounds)) for e in entities if e.aliases)

    return matcher(scopes.trademarks), matcher(scopes.molecules, compounds=True)


@lru_cache(maxsize=8)
def _company_matcher(scopes: Scopes):
    return tuple((e.name, _alias_pattern(e.aliases)) for e in scopes.companies if e.aliases)


@lru_cache(maxsize=8)
def _watched_words(scopes: Scopes) -> frozenset:
    """First words of every watched name, lower-cased, as `_parties` spells a party."""
    groups = (scopes.companies, scopes.trademarks, scopes.molecules, scopes.technologies)
    return frozenset(
        alias.lower().split()[0] for group in groups for e in group for alias in e.aliases if alias.strip()
    )


def _found(entries, text: str) -> frozenset:
    return frozenset(name for name, pattern in entries if pattern.search(text))


def _amounts(text: str) -> frozenset:
    found = set()
    for match in _AMOUNT.finditer(text):
        if match["currency2"]:
            currency, number, unit = _WORDED_CURRENCY[match["currency2"]], match["value2"], match["unit2"]
        else:
            currency = {"US$": "$", "USD": "$", "EUR": "€", "GBP": "£"}.get(match["currency"], match["currency"])
            number, unit = match["value"], match["unit"]
        value = float(number.replace(",", "."))
        value *= 1000 if unit in ("billion", "bn", "B") or unit.startswith(("milliard", "Milliard")) else 1
        found.add((currency, round(value)))
    return frozenset(found)


def _sentence_case(title: str) -> bool:
    """In Title Case every long word is capitalised; a sentence-case headline capitalises only names (what stands in
    parentheses, "(risperidone)", tells nothing of the headline's case)."""
    return any(w.islower() and len(w) >= 4 for w in re.findall(r"[\w'’-]+", re.sub(r"\([^)]*\)", " ", title)))


def _names(title: str, summary: str) -> frozenset:
    """Proper names: UZEDY, CAM2029, FluidCrystal anywhere; a capitalised word inside a sentence of the summary, or
    of a sentence-case headline ("CMS opens Medicare coverage")."""
    capitalised = set(_CAPITALISED.findall(summary)) | (
        set(_CAPITALISED.findall(title)) if _sentence_case(title) else set()
    )
    tokens = set(_NAME.findall(title)) | set(_NAME.findall(summary)) | capitalised
    tokens = {t.rstrip("'’s") if t.endswith(("'s", "’s")) else t for t in tokens}
    return frozenset(t for t in tokens if t not in _REGULATOR_WORDS and len(t) > 2)


def _parties(title: str, companies) -> frozenset:
    """Who a headline is about, lower-cased: the watched companies it names and, in a sentence-case headline, the
    other proper names — the first word of each run of capitalised words ("Novo Nordisk" → "novo"). A capitalised
    word alone at the start of a headline is taken for a name only if the watch list knows it."""
    words = re.findall(r"[\w'’-]+", re.sub(r"\([^)]*\)", " ", title))
    parties = {c.lower().split()[0] for c in companies}
    if not _sentence_case(title):
        return frozenset(parties)
    runs: list[list[str]] = []
    for position, word in enumerate(words):
        capitalised = (word[0].isupper() and not word.isupper()) or (word.isupper() and len(word) > 2)
        if not capitalised:
            continue
        if runs and runs[-1][-1] == position - 1:
            runs[-1].append(position)
        else:
            runs.append([position])
    for run in runs:
        names = [re.sub(r"['’]s$", "", words[i]) for i in run]
        while names and (names[0].lower() in _HEADLINE_WORDS or names[0] in _REGULATOR_WORDS):
            names = names[1:]
        if not names or (run[0] == 0 and len(run) == 1):
            continue
        parties.add(names[0].lower())
    return frozenset(parties)


def _mentions(text: str) -> frozenset:
    return frozenset(re.sub(r"['’]s$", "", w).lower() for w in re.findall(r"[\w'’-]+", text))


def main_clause(title: str) -> str:
    """The headline without a trailing clause that tells what else goes on: "Teva arms its olanzapine depot with
    bipolar data as Uzedy keeps growing" is about the olanzapine depot; Uzedy is the backdrop."""
    match = _BACKDROP.search(title)
    return title[: match.start()] if match else title


def regulatory_act(title: str) -> str:
    """What the headline says a regulator did, the first act of `_ACTS` it tells ("" when none)."""
    return next((act for act, pattern in _ACT_PATTERNS if pattern.search(title)), "")


def regulators(text: str) -> frozenset:
    latin = latin_view(text)
    return frozenset(name for name, p in _REGULATOR_PATTERNS.items() if p.search(latin) or p.search(text))


def trials(text: str) -> frozenset:
    return frozenset(_TRIAL.findall(text))


def markets(text: str) -> frozenset:
    return frozenset(name for name, pattern in _MARKET_PATTERNS.items() if pattern.search(text))


def section_for(event_type: str, client: ClientConfig) -> str:
    for section in client.sections:
        if event_type in section.event_types:
            return section.section_id
    for section in client.sections:
        if not section.event_types:
            return section.section_id
    return ""


def facts(item: NormalizedItem, client: ClientConfig) -> Facts:
    trademarks, molecules = _matchers(client.scopes)
    headline = main_clause(item.title)
    subject = mask_other_senses(f"{headline}\n{item.summary}", client.scopes)
    known = item.event_type != "other"
    return Facts(
        source_id=item.source_id,
        event_type=item.event_type,
        section_id=section_for(item.event_type, client),
        significance=SIGNIFICANCE_RANK.get(item.significance, 0) if known else 0,
        timestamp=item.published.timestamp(),
        dated=item.dated,
        products=_found(trademarks, subject),
        title_products=(titled := _found(trademarks, mask_other_senses(headline, client.scopes))),
        makers=(
            makers := frozenset(
                (e.name, e.category) for e in client.scopes.trademarks if e.name in titled and e.category
            )
        ),
        context_products=frozenset(item.trademarks),
        molecules=_found(molecules, subject) or frozenset(item.molecules),
        companies=frozenset(item.companies),
        regulators=regulators(f"{item.title} {item.summary}"),
        names=_names(item.title, item.summary),
        parties=(parties := _parties(item.title, (headed := _found(_company_matcher(client.scopes), item.title)))),
        title_companies=headed | {maker for _product, maker in makers},
        outside_parties=parties - _watched_words(client.scopes),
        mentions=_mentions(f"{item.title} {item.summary}"),
        amounts=_amounts(f"{item.title} {item.summary}"),
        words=frozenset(w for w in _WORD.findall(f"{item.title} {item.summary}".lower()) if w not in _STOPWORDS),
        acts=frozenset({act} if (act := regulatory_act(item.title)) else ()),
        trials=trials(f"{item.title} {item.summary}"),
        markets=markets(f"{item.title} {item.summary}"),
    )


def bar(a: Facts, b: Facts) -> float:
    """The evidence a pair needs: more when an event was not recognised or both come from one source."""
    needed = SAME_STORY
    if "other" in (a.event_type, b.event_type):
        needed += UNTYPED_EXTRA
    if a.source_id == b.source_id:
        needed += SAME_SOURCE_EXTRA
    return needed


def ruled_out(a: Facts, b: Facts) -> str:
    """Why two items cannot tell one event ("" when they may)."""
    if a.dated and b.dated and abs(a.timestamp - b.timestamp) > MAX_DAYS_APART * 86400:
        return "days apart"
    # Products named only in a summary may be context ("the depot technology behind Buvidal"); one in a title is
    # what the item is about. One event both headlines tell by the same two parties ("Ipsen ... Foresee") is one deal
    # whatever products each recalls (the buyer's old franchise, the target's products).
    one_deal = len(a.parties & b.parties) >= 2 and a.event_type == b.event_type != "other"
    titled = a.title_products or b.title_products
    if not one_deal and a.products and b.products and not a.products & b.products and titled:
        return "different products"
    # Molecules named beside a product both headlines name are context ("an amylin showdown with X's Y").
    same_subject = one_deal or a.title_products & b.title_products
    if a.molecules and b.molecules and not a.molecules & b.molecules and not same_subject:
        return "different molecules"
    if a.companies and b.companies and not a.companies & b.companies:
        return "different companies"
    # Whose news it is, by the headlines (a product's maker with it): two headlines about different watched companies
    # tell two stories, whatever their texts share (a pure player's share price beside its partner's product sales).
    if a.title_companies and b.title_companies and not a.title_companies & b.title_companies:
        return "different companies in the headlines"
    if a.regulators and b.regulators and not a.regulators & b.regulators:
        return "different regulators"
    if "other" not in (a.event_type, b.event_type) and a.section_id != b.section_id:
        return "different kinds of event"
    if a.significance and b.significance and abs(a.significance - b.significance) >= 2:
        return "a major event beside a minor one"
    if a.trials and b.trials and not a.trials & b.trials:
        return "different trials"
    if a.event_type == b.event_type == "regulatory" and a.acts and b.acts and not a.acts & b.acts:
        return "different regulatory acts"
    if "market_access" in (a.event_type, b.event_type) and a.markets and b.markets and not a.markets & b.markets:
        return "different markets"
    return ""


def anchored(a: Facts, b: Facts) -> bool:
    """Whether the two share a who or a what: a product, molecule, company, amount, or both headlines' parties.
    Alike wording about the same kind of event (two approvals of one day) is not one story without it."""
    return bool(
        a.products & (b.products | b.context_products)
        or b.products & a.context_products
        or a.molecules & b.molecules
        or a.companies & b.companies
        or a.amounts & b.amounts
        or len(a.parties & b.parties) >= 2
    )


def _headline_product_missing(a: Facts, b: Facts) -> bool:
    """Whether a's headline names a product b never names. A retelling that names no product at all may name the
    missing products in general words: by their makers alone ("Medicare coverage of GLP-1 drugs from Novo Nordisk
    and Eli Lilly" for Wegovy and Zepbound: exactly their makers), or by a molecule both name and no other company
    than their makers (a regulator's notice: "FDA approves a higher dose of semaglutide" for Wegovy, which is
    semaglutide: the same molecules, not one of a combination's). One that names another
    product (the same company's other product) or another company does not."""
    named = b.products | b.context_products
    missing = a.title_products - named
    if not missing:
        return False
    makers = {product: maker for product, maker in a.makers}
    if named or not all(product in makers for product in missing):
        return True
    missing_makers = {makers[product] for product in missing}
    by_makers = missing_makers == set(b.companies)
    by_molecule = bool(a.molecules) and a.molecules == b.molecules and set(b.companies) <= missing_makers
    return not (by_makers or by_molecule)


def evidence(a: Facts, b: Facts) -> float:
    """How much says the two items tell one event (meaningful only when `ruled_out` is empty)."""
    if not anchored(a, b):
        return 0.0
    points = 0.0
    if a.products & b.products:
        points += EVIDENCE["product"]
    elif (a.products & b.context_products) or (b.products & a.context_products):
        points += EVIDENCE["product_in_text"]
    points += EVIDENCE["molecule"] * bool(a.molecules & b.molecules)
    points += EVIDENCE["company"] * min(2, len(a.companies & b.companies))
    points += EVIDENCE["regulator"] * bool(a.regulators & b.regulators)
    points += EVIDENCE["event_type"] * (a.event_type == b.event_type != "other")
    points += EVIDENCE["amount"] * bool(a.amounts & b.amounts)
    points += EVIDENCE["name"] * min(3, len(a.names & b.names))
    shared_parties = a.parties & b.parties
    points += EVIDENCE["two_parties"] * (len(shared_parties) >= 2 and bool(shared_parties & a.outside_parties))
    if _headline_product_missing(a, b) or _headline_product_missing(b, a):
        points += EVIDENCE["headline_product_missing"]
    # A party is another one only if the other item never names it: "PrEP" in one headline and "HIV" in the other,
    # both named in each other's text, are no two partners.
    if (a.outside_parties - b.mentions) and (b.outside_parties - a.mentions):
        points += EVIDENCE["other_partner"]
    if a.words and b.words:
        points += EVIDENCE["wording"] * len(a.words & b.words) / len(a.words | b.words)
    if a.dated and b.dated and abs(a.timestamp - b.timestamp) <= 86400:
        points += EVIDENCE["same_day"]
    return round(points, 3)


def same_story(a: NormalizedItem, b: NormalizedItem, client: ClientConfig) -> bool:
    fa, fb = facts(a, client), facts(b, client)
    return not ruled_out(fa, fb) and evidence(fa, fb) >= bar(fa, fb)


def cluster(items: Sequence[NormalizedItem], client: ClientConfig) -> list[list[int]]:
    """Indexes of `items` grouped by story, each group in the order given (the caller's best first)."""
    known = [facts(item, client) for item in items]
    joins, apart = [], set()
    for i, j in combinations(range(len(items)), 2):
        if ruled_out(known[i], known[j]):
            apart.add((i, j))
            continue
        points = evidence(known[i], known[j])
        if points >= bar(known[i], known[j]):
            joins.append((-points, i, j))
    group_of = list(range(len(items)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(items))}
    for _points, i, j in sorted(joins):
        gi, gj = group_of[i], group_of[j]
        if gi == gj or any((min(x, y), max(x, y)) in apart for x in members[gi] for y in members[gj]):
            continue
        for k in members[gj]:
            group_of[k] = gi
        members[gi] = sorted(members[gi] + members.pop(gj))
    return sorted(members.values())


def cluster_stories(candidates: Sequence[Candidate], client: ClientConfig) -> tuple[list[ScoredItem], int]:
    """One story per event, scored as its best item, shown as its best item in the client's language, with every
    source's link; and how many items joined a story."""
    ordered = sorted(candidates, key=lambda c: (-c.score, c.item.published, c.item.item_id))
    stories: list[ScoredItem] = []
    for group in cluster([c.item for c in ordered], client):
        told = [ordered[i] for i in group]
        best = told[0]
        readable = [c for c in told if reads_in(f"{c.item.title} {c.item.summary}", client.language)]
        lead = readable[0] if readable else best
        told = [lead] + [c for c in told if c is not lead]
        breakdown = dict(best.breakdown)
        extra_sources = {c.item.source_id for c in told[1:]} - {lead.item.source_id}
        if extra_sources:
            breakdown["coverage"] = COVERAGE_POINTS * len(extra_sources)
        stories.append(
            ScoredItem(
                item=lead.item,
                score=round(sum(breakdown.values()), 3),
                breakdown=breakdown,
                domains=tuple(dict.fromkeys(d for c in told for d in c.domains)),
                section_id="",
                links=tuple((c.item.source_id, c.item.url) for c in told),
                merged_ids=tuple(c.item.item_id for c in told[1:]),
            )
        )
    stories.sort(key=lambda s: (-s.score, s.item.published, s.item.item_id))
    return stories, sum(len(s.merged_ids) for s in stories)
