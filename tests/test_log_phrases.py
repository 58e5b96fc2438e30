"""The log phrases the smoke test, doctor and `invoke run` read: the deployment plan's wording, written by the engine
and read back with the same module."""

from __future__ import annotations

import json

from conftest import LAMBDA_ENV

from vectora_core import log_phrases


def test_the_phrases_are_the_deployment_plans_wording_byte_for_byte():
    assert log_phrases.bedrock_routing("newsletter", "eu-west-3") == "Client Bedrock hybride : newsletter → eu-west-3"
    assert log_phrases.CACHE_SAVED == "Newsletter sauvegardée en cache"
    assert log_phrases.CACHE_HIT == "Newsletter récupérée depuis cache S3"
    assert log_phrases.bedrock_routing("x", "y").startswith(log_phrases.BEDROCK_ROUTING_PREFIX + " : ")


def test_the_routing_phrase_reads_back_as_its_purpose_and_region():
    text = log_phrases.bedrock_routing("normalization", "us-east-1")

    assert log_phrases.parse_bedrock_routing(text) == [("normalization", "us-east-1")]


def test_every_routing_phrase_of_a_text_is_read_in_order():
    text = f"{log_phrases.bedrock_routing('newsletter', 'eu-west-3')} / {log_phrases.bedrock_routing('normalization', 'us-east-1')}"

    assert log_phrases.parse_bedrock_routing(text) == [("newsletter", "eu-west-3"), ("normalization", "us-east-1")]


def test_a_text_without_the_routing_phrase_names_no_route():
    assert log_phrases.parse_bedrock_routing("Client Bedrock : newsletter → eu-west-3") == []
    assert log_phrases.parse_bedrock_routing("Client Bedrock hybride : newsletter -> eu-west-3") == []


def test_the_engine_logs_its_routing_with_the_phrase_the_smoke_test_reads(capsys):
    from vectora_core.llm.bedrock import log_routing
    from vectora_core.settings import load_settings

    log_routing(load_settings(LAMBDA_ENV))
    messages = [json.loads(line)["message"] for line in capsys.readouterr().out.splitlines()]

    routes = [route for message in messages for route in log_phrases.parse_bedrock_routing(message)]
    assert routes == [
        ("newsletter", LAMBDA_ENV["BEDROCK_REGION_NEWSLETTER"]),
        ("normalization", LAMBDA_ENV["BEDROCK_REGION_NORMALIZATION"]),
    ]
    assert log_phrases.bedrock_routing("newsletter", LAMBDA_ENV["BEDROCK_REGION_NEWSLETTER"]) in messages
