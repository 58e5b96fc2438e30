"""`invoke client.new ID --from CLIENT`: a new client's config scaffolded from another's, written only once it checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from invoke import Exit, MockContext

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config_dir(tmp_path) -> Path:
    return Path(shutil.copytree(REPO_ROOT / "config", tmp_path / "config"))


def scaffold(config_dir: Path, client_id: str, template: str = "lai_weekly_v3", **options):
    from toolkit.onboarding import new_client

    return new_client(client_id, template, config_dir=config_dir, printer=lambda _line: None, **options)


def test_a_new_client_gets_the_templates_sources_domains_and_schedule_under_its_own_id(config_dir):
    made = scaffold(config_dir, "psychiatry_lai_monthly", name="Psychiatry LAI Monthly")
    new = yaml.safe_load(made.path.read_text())
    template = yaml.safe_load((config_dir / "clients" / "lai_weekly_v3.yaml").read_text())
    assert (new["client_id"], new["name"]) == ("psychiatry_lai_monthly", "Psychiatry LAI Monthly")
    for key in ("sources", "watch_domains", "sections", "schedule", "scopes", "min_score"):
        assert new[key] == template[key], key
    assert made.path.read_text().startswith("# Psychiatry LAI Monthly: scaffolded from lai_weekly_v3 on ")


def test_the_new_config_passes_the_release_check_with_the_rest_of_config(config_dir):
    from toolkit.release_config import read_config_dir, validate_config

    scaffold(
        config_dir,
        "second_obesity_client",
        "glp1_obesity_weekly",
        schedule="cron(0 8 ? * TUE *)",
        timezone="Asia/Tokyo",
    )
    validate_config(read_config_dir(config_dir))
    schedule = yaml.safe_load((config_dir / "clients" / "second_obesity_client.yaml").read_text())["schedule"]
    assert (schedule["expression"], schedule["timezone"]) == ("cron(0 8 ? * TUE *)", "Asia/Tokyo")


def test_another_fields_scopes_with_this_fields_domains_is_refused_naming_file_and_field(config_dir):
    from toolkit.onboarding import OnboardingError
    from toolkit.release_config import ReleaseConfigError

    with pytest.raises(ReleaseConfigError) as refused:
        scaffold(config_dir, "mixed_up", scopes="canonical/obesity_scopes.yaml")
    assert str(refused.value).startswith("config/clients/mixed_up.yaml: watch_domains[0].companies: 'MedinCell'")
    assert not isinstance(refused.value, OnboardingError)
    assert not (config_dir / "clients" / "mixed_up.yaml").exists()  # nothing half-made is left


def test_an_existing_client_is_never_overwritten(config_dir):
    from toolkit.onboarding import OnboardingError

    before = (config_dir / "clients" / "glp1_obesity_weekly.yaml").read_text()
    with pytest.raises(OnboardingError, match="glp1_obesity_weekly.yaml already exists"):
        scaffold(config_dir, "glp1_obesity_weekly")
    assert (config_dir / "clients" / "glp1_obesity_weekly.yaml").read_text() == before


@pytest.mark.parametrize("client_id", ["Capitals", "with-hyphen", "", "x" * 41, "_leading"])
def test_an_id_the_engine_or_terraform_would_refuse_is_refused_first(config_dir, client_id):
    from toolkit.onboarding import OnboardingError

    with pytest.raises(OnboardingError, match="use 1 to 40 lowercase letters"):
        scaffold(config_dir, client_id)


def test_an_unknown_template_names_the_known_clients(config_dir):
    from toolkit.onboarding import OnboardingError

    with pytest.raises(
        OnboardingError, match="no client 'nobody' to start from; known clients: glp1_obesity_weekly, lai_weekly_v3"
    ):
        scaffold(config_dir, "new_one", "nobody")


def test_the_task_reports_a_refusal_in_one_line_and_exits_1():
    import tasks

    with pytest.raises(Exit) as exit_:  # the repository's own client: refused before anything is written
        tasks.clients.new(MockContext(), "lai_weekly_v3")
    assert exit_.value.code == 1 and exit_.value.message.startswith(
        "error: config/clients/lai_weekly_v3.yaml already exists"
    )
