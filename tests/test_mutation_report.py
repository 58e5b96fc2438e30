"""`invoke mutate`'s report: statuses read from mutmut's records, the score, equivalent survivors."""

from __future__ import annotations

import json

import pytest

from toolkit.drivers import mutation


def test_statuses_are_read_from_mutmuts_per_file_records(tmp_path):
    meta = tmp_path / "mutants" / "src" / "vectora_core" / "scoring.py.meta"
    meta.parent.mkdir(parents=True)
    meta.write_text(
        json.dumps(
            {
                "exit_code_by_key": {
                    "a__mutmut_1": 1,
                    "a__mutmut_2": 0,
                    "a__mutmut_3": 33,
                    "a__mutmut_4": 36,
                    "a__mutmut_5": None,
                }
            }
        )
    )
    assert mutation.statuses(tmp_path) == {
        "a__mutmut_1": "killed",
        "a__mutmut_2": "survived",
        "a__mutmut_3": "no tests",
        "a__mutmut_4": "timeout",
        "a__mutmut_5": "not checked",
    }


def test_module_of_a_function_and_of_a_method_mutant():
    assert mutation.module_of("vectora_core.extraction.x_extract__mutmut_3") == "vectora_core.extraction"
    assert mutation.module_of("vectora_core.scoring.xǁ_StoryKeyǁmatches__mutmut_1") == "vectora_core.scoring"


def test_score_counts_timeouts_as_caught_and_uncovered_mutants_as_missed():
    found = {
        "m.x_f__mutmut_1": "killed",
        "m.x_f__mutmut_2": "timeout",
        "m.x_f__mutmut_3": "survived",
        "m.x_f__mutmut_4": "no tests",
        "m.x_f__mutmut_5": "not checked",
    }
    summary = mutation.summarize(found, {"m.x_f__mutmut_3": "same behaviour"}, 12.4)
    assert (summary["killed"], summary["timed_out"], summary["survived"], summary["not_covered"]) == (1, 1, 1, 1)
    assert summary["score_percent"] == 50.0 and summary["not_checked"] == 1 and summary["duration_s"] == 12
    assert summary["survivors"] == [
        {"mutant": "m.x_f__mutmut_3", "equivalent": "same behaviour"},
        {"mutant": "m.x_f__mutmut_4", "equivalent": ""},
    ]
    assert "2 survivor(s), 1 without a test or an equivalence reason." in mutation.table(summary)


def test_equivalence_reasons_are_one_line_per_mutant(tmp_path):
    reasons = tmp_path / "equivalent.txt"
    reasons.write_text("# comment\nm.x_f__mutmut_3: the sort key only breaks ties between equal items\n\n")
    assert mutation.equivalent_mutants(reasons) == {
        "m.x_f__mutmut_3": "the sort key only breaks ties between equal items"
    }


def test_modules_are_chosen_by_their_last_name_dotted_name_or_path():
    chosen = mutation.select_modules(["stories", "vectora_core.llm.prompts", "vectora_core/ingest/parse.py"])
    assert chosen == ("vectora_core/stories.py", "vectora_core/llm/prompts.py", "vectora_core/ingest/parse.py")
    assert mutation.select_modules(None) == mutation.MODULES


def test_a_module_outside_the_list_is_refused():
    with pytest.raises(mutation.MutationError, match="'lease' is not a mutated module"):
        mutation.select_modules(["lease"])


def test_the_scratch_copy_mutates_only_the_chosen_modules(tmp_path):
    mutation.prepare(tmp_path, ("vectora_core/stories.py",))
    config = (tmp_path / "setup.cfg").read_text()
    assert "only_mutate =\n    src/vectora_core/stories.py\npytest_add_cli_args_test_selection" in config


def test_the_reference_is_not_updated_from_some_modules_only():
    with pytest.raises(mutation.MutationError, match="drop --only"):
        mutation.run_mutation(update_reference=True, only=["stories"])
