"""The engine's pure steps on hand-made data: selection threshold, editorial cache key, rendering, prompts.

No emulator and no server: these are the fast tests `invoke mutate` runs against the engine's pure modules.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timezone
from pathlib import Path

import pytest

from vectora_core import editorial_cache
from vectora_core.client_config import parse_client_config, parse_scopes
from vectora_core.llm import prompts
from vectora_core.models import Editorial, EditorialSection, NormalizedItem, ScoredItem
from vectora_core.render import label_for, md_escape, render
from vectora_core.scoring import select

CONFIG = Path(__file__).resolve().parent.parent / "config"
PUBLISHED = datetime(2026, 11, 24, 9, tzinfo=UTC)
START, END = date(2026, 11, 18), date(2026, 11, 25)


@pytest.fixture(scope="module")
def client():
    scopes = parse_scopes((CONFIG / "canonical/lai_scopes.yaml").read_text(), "canonical/lai_scopes.yaml")
    return parse_client_config(
        (CONFIG / "clients/lai_weekly_v3.yaml").read_text(), "clients/lai_weekly_v3.yaml", lambda _: scopes
    )


def item(item_id="a1", **changes) -> NormalizedItem:
    fields = dict(
        item_id=item_id,
        source_id="fierce_pharma",
        url=f"https://example.com/{item_id}",
        title="FDA approves UZEDY label expansion",
        published=PUBLISHED,
        content_hash="hash-" + item_id,
        summary="Teva said the FDA approved UZEDY for bipolar I disorder.",
        event_type="regulatory",
        companies=("Teva",),
        molecules=("risperidone",),
        trademarks=("UZEDY",),
        technologies=(),
        backend="offline",
    )
    fields.update(changes)
    return NormalizedItem(**fields)


def scored(normalized: NormalizedItem, score: float = 5.0, section_id: str = "regulatory") -> ScoredItem:
    return ScoredItem(
        item=normalized,
        score=score,
        breakdown={"event": score},
        domains=("lai",),
        section_id=section_id,
        links=((normalized.source_id, normalized.url),),
    )


EDITORIAL = Editorial(
    title="LAI week",
    intro="Approvals led the week.",
    tldr=("UZEDY gains bipolar I",),
    sections=(EditorialSection("regulatory", "Two approvals."),),
    backend="bedrock",
    model_id="eu.model",
)


# --- selection threshold ----------------------------------------------------------------------------


def test_item_just_under_min_score_is_dropped(client):
    below = scored(item("below"), score=client.min_score - 0.001, section_id="")
    assert select([below], client) == []


def test_item_at_or_just_over_min_score_is_kept(client):
    at = scored(item("at"), score=client.min_score, section_id="")
    over = scored(item("over"), score=client.min_score + 0.001, section_id="")
    assert [s.item.item_id for s in select([at, over], client)] == ["over", "at"]


def test_selected_items_take_the_section_of_their_event_type(client):
    chosen = select([scored(item("r"), section_id=""), scored(item("c", event_type="clinical"), section_id="")], client)
    assert {s.item.item_id: s.section_id for s in chosen} == {"r": "regulatory", "c": "clinical"}


# --- editorial cache key -----------------------------------------------------------------------------


def key(**changes) -> str:
    arguments = dict(
        client_id="lai_weekly_v3",
        window_start=START,
        window_end=END,
        selected=[scored(item("a1")), scored(item("b2"))],
        prompt_version="editorial-v2",
        model_id="eu.model",
    )
    arguments.update(changes)
    return editorial_cache.cache_key(**arguments)


def test_cache_key_is_stable_for_the_same_inputs():
    assert key() == key() and len(key()) == 32 and int(key(), 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "other_weekly"},
        {"window_start": date(2026, 11, 17)},
        {"window_end": date(2026, 11, 24)},
        {"prompt_version": "editorial-v3"},
        {"model_id": "eu.other-model"},
        {"selected": [scored(item("a1"))]},
        {"selected": [scored(item("b2")), scored(item("a1"))]},
    ],
    ids=["client", "window start", "window end", "prompt version", "model", "fewer items", "item order"],
)
def test_cache_key_changes_with_what_shapes_the_editorial(change):
    assert key(**change) != key()


@pytest.mark.parametrize(
    "field, value",
    [
        ("content_hash", "edited"),
        ("summary", "Teva said the FDA declined UZEDY."),
        ("event_type", "clinical"),
        ("companies", ("Teva", "MedinCell")),
    ],
)
def test_a_changed_item_is_a_cache_miss(field, value):
    changed = [scored(item("a1", **{field: value})), scored(item("b2"))]
    assert key(selected=changed) != key()


def test_an_item_moved_to_another_section_is_a_cache_miss():
    assert key(selected=[scored(item("a1"), section_id="clinical"), scored(item("b2"))]) != key()


def test_cache_objects_live_under_the_client_prefix():
    assert editorial_cache.object_key("lai_weekly_v3", "k1") == "cache/lai_weekly_v3/k1.json"


# --- rendering: escaping and labels --------------------------------------------------------------------


def test_feed_markup_is_escaped_in_the_html_render(client):
    hostile = item("x", title='<script>alert("t")</script> & <b>bold</b>', summary="<img src=x onerror=alert(1)>")
    html = render(client, EDITORIAL, [scored(hostile)], START, END, {}).html
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html and "&amp; &lt;b&gt;" in html


def test_editorial_text_from_the_model_is_escaped_too(client):
    editorial = dataclasses.replace(EDITORIAL, title="<i>Week</i>", intro="<svg onload=x>", tldr=("<u>u</u>",))
    html = render(client, editorial, [scored(item())], START, END, {}).html
    assert "<i>Week" not in html and "<svg" not in html and "<u>" not in html
    assert "&lt;svg onload=x&gt;" in html


def test_feed_markup_is_escaped_in_the_markdown_render(client):
    hostile = item("x", title="<script>alert(1)</script> *bold* [link](javascript:x)")
    markdown = render(client, EDITORIAL, [scored(hostile)], START, END, {}).markdown
    assert (
        "<script>" not in markdown
        and "\\<script\\>" in markdown
        and "\\*bold\\*" in markdown
        and "\\[link\\]" in markdown
    )


def test_md_escape_backslashes_every_markdown_special():
    assert md_escape("\\`*_[]<>#|") == "\\\\\\`\\*\\_\\[\\]\\<\\>\\#\\|"
    assert md_escape("plain text (ok)") == "plain text (ok)"


def test_render_shows_sections_in_config_order_with_their_intros(client):
    selected = [
        scored(item("c", event_type="clinical", title="Phase 3 starts"), section_id="clinical"),
        scored(item("r")),
    ]
    editorial = dataclasses.replace(
        EDITORIAL,
        sections=(EditorialSection("regulatory", "Two approvals."), EditorialSection("clinical", "Trials moved.")),
    )
    markdown = render(client, editorial, selected, START, END, {"fierce_pharma": "Fierce Pharma"}).markdown
    assert (
        markdown.index("Regulatory")
        < markdown.index("Two approvals.")
        < markdown.index("Clinical development")
        < markdown.index("Trials moved.")
    )
    assert "Fierce Pharma" in markdown


def test_item_note_counts_items_summarised_offline(client):
    rendered = render(client, EDITORIAL, [scored(item())], START, END, {}, items_degraded=3)
    assert "3 item(s) were summarised offline by extraction after a model failure." in rendered.html
    assert "summarised offline" not in render(client, EDITORIAL, [scored(item())], START, END, {}).html


def test_labels_say_how_the_editorial_was_written():
    assert label_for(EDITORIAL) == ""
    assert label_for(dataclasses.replace(EDITORIAL, backend="offline")).startswith(
        "Offline edition: the editorial is extractive"
    )
    degraded = dataclasses.replace(EDITORIAL, degraded=True, degraded_reason="Bedrock timed out")
    assert (
        label_for(degraded)
        == "Degraded edition: the editorial was generated offline by extraction because Bedrock timed out."
    )


def test_an_empty_selection_says_nothing_met_the_threshold(client):
    assert "No item met the selection threshold" in render(client, EDITORIAL, [], START, END, {}).html


# --- prompts -------------------------------------------------------------------------------------------


def test_editorial_item_line_is_one_compact_line():
    line = prompts.editorial_item_line(3, scored(item(companies=("Teva", "MedinCell"), molecules=("risperidone",))))
    assert line == "#3|Teva;;UZEDY|Teva said the FDA approved UZEDY for bipolar I disorder."


def test_item_line_names_only_what_the_headline_or_summary_names(client):
    # MedinCell and PERSERIS are in the item's tags (named further down its text), not in what the edition shows.
    tagged = item(companies=("Teva", "MedinCell"), trademarks=("UZEDY", "PERSERIS"), summary="Teva's Uzedy wins.")
    line = prompts.editorial_item_line(1, scored(tagged), client.scopes)
    assert line == "#1|Teva;;UZEDY|Teva's Uzedy wins."


def test_item_line_drops_tickers_shortens_agencies_and_pipes():
    summary = "Alkermes (Nasdaq: ALKS) told the U.S. Food and Drug Administration (FDA) and the European Medicines Agency a|b."
    assert prompts.editorial_item_line(1, scored(item(summary=summary))).endswith("|Alkermes told FDA and EMA a/b.")


def test_item_line_gives_the_headline_when_no_whole_sentence_of_the_summary_fits():
    text = prompts.editorial_item_line(1, scored(item(summary="word " * 60 + "end."))).split("|")[-1]
    assert text == "FDA approves UZEDY label expansion." and "…" not in text


def test_editorial_prompt_groups_items_under_section_headers_numbered_in_order(client):
    selected = [scored(item("r")), scored(item("c", event_type="clinical"), section_id="clinical")]
    system, user = prompts.build_editorial_prompt("LAI Weekly", START, END, client.sections, selected)
    assert system == prompts.EDITORIAL_SYSTEM
    lines = user.splitlines()
    assert lines[0] == "LAI Weekly 2026-11-18..2026-11-25 lead=#1"
    headers = [line for line in lines if line.startswith("[")]
    assert len(headers) == 2 and all(h.split("] ", 1)[1] for h in headers)
    assert [line.split("|")[0] for line in lines if line.startswith("#")] == ["#1", "#2"]


def test_normalization_prompt_lists_event_types_and_one_tab_separated_line_per_item():
    from vectora_core.models import RawItem

    raw = RawItem("id1", "s", "https://e.com/1", "Title  with\nspaces", "Body | text", PUBLISHED, "h")
    system, user = prompts.build_normalization_prompt(
        [raw, dataclasses.replace(raw, item_id="id2")], ["regulatory", "other"]
    )
    assert system.endswith(" event_type one of: regulatory,other.") and system.startswith(prompts.NORMALIZATION_SYSTEM)
    assert user.split("\n") == ["id1\tTitle with spaces\tBody / text", "id2\tTitle with spaces\tBody / text"]


def test_estimate_tokens_is_characters_over_three_and_a_half():
    assert prompts.estimate_tokens("x" * 35) == 10 and prompts.estimate_tokens("") == 1


VALID_EDITORIAL = {"title": "T", "intro": "I", "tldr": ["a"], "sections": {"regulatory": "R"}}


def test_a_valid_editorial_answer_has_no_problems():
    assert prompts.validate_editorial(VALID_EDITORIAL, ["regulatory"]) == []


@pytest.mark.parametrize(
    "answer, problem",
    [
        ([], "answer is not a JSON object"),
        ({**VALID_EDITORIAL, "title": " "}, "title must be a non-empty string"),
        ({**VALID_EDITORIAL, "intro": 3}, "intro must be a non-empty string"),
        ({**VALID_EDITORIAL, "tldr": []}, "tldr must be a non-empty list of strings"),
        ({**VALID_EDITORIAL, "tldr": ["ok", " "]}, "tldr must be a non-empty list of strings"),
        ({**VALID_EDITORIAL, "sections": []}, "sections must be an object keyed by section id"),
        ({**VALID_EDITORIAL, "sections": {"regulatory": ""}}, "sections.regulatory must be a non-empty string"),
        ({**VALID_EDITORIAL, "sections": {}}, "sections.regulatory must be a non-empty string"),
    ],
)
def test_an_invalid_editorial_answer_names_its_problem(answer, problem):
    assert prompts.validate_editorial(answer, ["regulatory"]) == [problem]


VALID_ENTRY = {
    "id": "a",
    "event_type": "regulatory",
    "summary": "S",
    "companies": [],
    "molecules": ["m"],
    "trademarks": [],
    "technologies": [],
}


def test_a_valid_normalization_answer_has_no_problems():
    assert prompts.validate_normalization({"items": [VALID_ENTRY]}, ["a"], ["regulatory"]) == []


@pytest.mark.parametrize(
    "answer, problem",
    [
        ({"items": {}}, "answer must be an object with an items list"),
        ([], "answer must be an object with an items list"),
        ({"items": [{"id": 1}]}, "every item needs a string id"),
        ({"items": [{**VALID_ENTRY, "event_type": "gossip"}]}, "a: event_type 'gossip' is not allowed"),
        ({"items": [{**VALID_ENTRY, "summary": "  "}]}, "a: summary must be a non-empty string"),
        ({"items": [{**VALID_ENTRY, "companies": "Teva"}]}, "a: companies must be a list of strings"),
        ({"items": [{**VALID_ENTRY, "technologies": [1]}]}, "a: technologies must be a list of strings"),
    ],
)
def test_an_invalid_normalization_answer_names_its_problem(answer, problem):
    assert problem in prompts.validate_normalization(answer, ["a"], ["regulatory"])


def test_a_normalization_answer_missing_ids_names_them():
    assert prompts.validate_normalization({"items": [VALID_ENTRY]}, ["a", "b", "c"], ["regulatory"]) == [
        "missing ids: b, c"
    ]


# --- editorial cache objects (S3 double: the calls and their arguments are what matters) -------------------


class MemoryS3:
    """The S3 calls the editorial cache makes, over a dict; `get_error` makes GetObject raise that code."""

    def __init__(self, get_error: str = ""):
        self.objects: dict[tuple[str, str], bytes] = {}
        self.puts: list[dict] = []
        self.lists: list[dict] = []
        self.get_error = get_error

    def list_objects_v2(self, **kwargs):
        self.lists.append(kwargs)
        found = [k for (b, k) in self.objects if b == kwargs["Bucket"] and k.startswith(kwargs["Prefix"])]
        return {"KeyCount": min(len(found), kwargs.get("MaxKeys", 1000))}

    def get_object(self, Bucket, Key):
        if self.get_error:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": self.get_error, "Message": "x"}}, "GetObject")
        import io

        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}

    def put_object(self, **kwargs):
        self.puts.append(kwargs)
        self.objects[(kwargs["Bucket"], kwargs["Key"])] = kwargs["Body"]


def test_a_saved_editorial_is_loaded_back_identical():
    s3 = MemoryS3()
    location = editorial_cache.save_cached(s3, "news", "lai_weekly_v3", "k1", EDITORIAL)
    assert location == "cache/lai_weekly_v3/k1.json"
    (put,) = s3.puts
    assert (put["Bucket"], put["Key"], put["ContentType"]) == ("news", location, "application/json")
    assert editorial_cache.load_cached(s3, "news", "lai_weekly_v3", "k1") == EDITORIAL


def test_non_ascii_editorial_text_is_stored_as_utf8_not_escaped():
    s3 = MemoryS3()
    editorial_cache.save_cached(s3, "news", "c", "k", dataclasses.replace(EDITORIAL, title="Semaine « LAI »"))
    assert "Semaine « LAI »".encode() in s3.puts[0]["Body"]


def test_a_missing_entry_is_a_miss_found_by_listing_the_exact_key():
    s3 = MemoryS3()
    assert editorial_cache.load_cached(s3, "news", "c", "k") is None
    assert s3.lists == [{"Bucket": "news", "Prefix": "cache/c/k.json", "MaxKeys": 1}]


def test_an_entry_deleted_between_list_and_get_is_a_miss():
    s3 = MemoryS3(get_error="NoSuchKey")
    s3.objects[("news", "cache/c/k.json")] = b"{}"
    assert editorial_cache.load_cached(s3, "news", "c", "k") is None


def test_an_access_error_on_the_cache_is_raised_not_hidden():
    from botocore.exceptions import ClientError

    s3 = MemoryS3(get_error="AccessDenied")
    s3.objects[("news", "cache/c/k.json")] = b"{}"
    with pytest.raises(ClientError):
        editorial_cache.load_cached(s3, "news", "c", "k")


@pytest.mark.parametrize("body", [b"{not json", b'{"title": "only"}', b"[]"])
def test_a_corrupt_entry_is_a_logged_miss(body, capsys):
    s3 = MemoryS3()
    s3.objects[("news", "cache/c/k.json")] = body
    assert editorial_cache.load_cached(s3, "news", "c", "k") is None
    line = capsys.readouterr().out
    assert (
        "Cache éditorial corrompu, régénération" in line
        and '"key": "cache/c/k.json"' in line
        and '"level": "WARNING"' in line
    )


# --- what the survivors of the mutation run showed untested ---------------------------------------------


@pytest.fixture
def fresh_templates():
    """Template environments are built once per process; rebuild them so this test sees the current code."""
    from vectora_core import render as render_module

    render_module._templates.cache_clear()
    yield
    render_module._templates.cache_clear()


def test_the_html_render_escapes_and_the_markdown_render_uses_its_own_filters(client, fresh_templates):
    hostile = item("x", title="<b>A</b> (B)", url="https://e.com/a b_(c)")
    rendered = render(client, EDITORIAL, [scored(hostile)], START, END, {})
    assert "&lt;b&gt;A&lt;/b&gt; (B)" in rendered.html
    assert "\\<b\\>A\\</b\\> (B)" in rendered.markdown and "https://e.com/a%20b_%28c%29" in rendered.markdown


def test_the_render_is_exact_for_a_known_newsletter(client, fresh_templates):
    # Whitespace control and the trailing newline shape every line of the email: pin one small newsletter.
    markdown = render(client, EDITORIAL, [scored(item())], START, END, {"fierce_pharma": "Fierce Pharma"}).markdown
    assert markdown.endswith("\n") and not markdown.endswith("\n\n\n")
    assert "\n\n\n\n" not in markdown and "{%" not in markdown and "  \n-" not in markdown
    html = render(client, EDITORIAL, [scored(item())], START, END, {}).html
    assert html.startswith("<!DOCTYPE html>") and html.endswith("\n")


def test_a_missing_template_variable_is_an_error_not_a_blank(client, fresh_templates):
    from jinja2 import UndefinedError

    from vectora_core import render as render_module

    with pytest.raises(UndefinedError):
        render_module._templates(True).from_string("{{ nowhere }}").render()


def test_md_url_encodes_spaces_and_parentheses():
    from vectora_core.render import md_url

    assert md_url("https://e.com/a b(c)") == "https://e.com/a%20b%28c%29"


def test_items_sit_under_their_own_section(client):
    selected = [
        scored(item("c", event_type="clinical", title="Phase 3 starts"), section_id="clinical"),
        scored(item("r", title="Label approved")),
    ]
    markdown = render(client, EDITORIAL, selected, START, END, {}).markdown
    assert (
        markdown.index("Regulatory")
        < markdown.index("Label approved")
        < markdown.index("Clinical development")
        < markdown.index("Phase 3 starts")
    )


def test_a_section_without_an_editorial_intro_shows_none(client):
    html = render(client, dataclasses.replace(EDITORIAL, sections=()), [scored(item())], START, END, {}).html
    assert 'color:#52606d;">' not in html.split("Regulatory", 1)[1].split("</td>", 1)[0]


def test_no_item_note_without_offline_items(client):
    html = render(client, EDITORIAL, [scored(item())], START, END, {}).html
    assert "background:#fff4e5;padding:8px 14px" not in html


def test_a_summary_of_exactly_the_limit_is_kept_whole():
    summary = "s" * (prompts.SUMMARY_CHARS - 1) + "."
    assert prompts.editorial_item_line(1, scored(item(summary=summary))).endswith("|" + summary)


def test_the_prompt_names_the_highest_scored_story_as_the_lead(client):
    selected = [scored(item("r"), score=5.0), scored(item("c", event_type="clinical"), 9.0, "clinical")]
    _system, user = prompts.build_editorial_prompt("LAI Weekly", START, END, client.sections, selected)
    assert user.splitlines()[0].endswith(" lead=#2")


def test_only_the_first_product_is_named_in_an_item_line():
    line = prompts.editorial_item_line(1, scored(item(trademarks=("UZEDY", "PERSERIS"))))
    assert "PERSERIS" not in line


def test_sections_without_items_are_skipped_not_the_end_of_the_prompt(client):
    clinical_only = [scored(item("c", event_type="clinical"), section_id="clinical")]
    _system, user = prompts.build_editorial_prompt("LAI Weekly", START, END, client.sections, clinical_only)
    assert user.splitlines()[1].startswith("[clinical] ") and user.splitlines()[2].startswith("#1|")


def test_a_long_title_is_cut_in_the_normalization_prompt():
    from vectora_core.models import RawItem

    raw = RawItem("id1", "s", "https://e.com/1", "t" * 201, "body", PUBLISHED, "h")
    _system, user = prompts.build_normalization_prompt([raw], ["other"])
    assert user == "id1\t" + "t" * 199 + "…\tbody"


def test_every_normalization_entry_is_checked_after_a_bad_one():
    answer = {"items": [{"id": 1}, {**VALID_ENTRY, "molecules": "m", "trademarks": "t"}]}
    assert prompts.validate_normalization(answer, ["a"], ["regulatory"]) == [
        "every item needs a string id",
        "a: molecules must be a list of strings",
        "a: trademarks must be a list of strings",
    ]


def test_entity_lists_may_be_left_out_of_a_normalization_answer():
    entry = {"id": "a", "event_type": "regulatory", "summary": "S"}
    assert prompts.validate_normalization({"items": [entry]}, ["a"], ["regulatory"]) == []


@pytest.mark.parametrize("code", ["NoSuchKey", "404", "NotFound"])
def test_every_not_found_code_is_a_miss(code):
    s3 = MemoryS3(get_error=code)
    s3.objects[("news", "cache/c/k.json")] = b"{}"
    assert editorial_cache.load_cached(s3, "news", "c", "k") is None


def test_a_corrupt_entry_logs_why(capsys):
    import json

    s3 = MemoryS3()
    s3.objects[("news", "cache/c/k.json")] = b"{not json"
    editorial_cache.load_cached(s3, "news", "c", "k")
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["message"] == "Cache éditorial corrompu, régénération"
    assert line["reason"].startswith("Expecting property name enclosed in double quotes")
