"""The Pulumi program deploys one Draft 4 registry schema per event, content from the export."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft4Validator

from infra.contract import SCHEMA_TYPE, registry_documents
from schemas import ALL_EVENTS
from schemas.draft4 import event_schema, registry_schema_name
from tests.infra.harness import RecordingMocks, run_program


@pytest.fixture(scope="module")
def program() -> RecordingMocks:
    return run_program({"loadshed:registryName": "loadshed-test-events"})


def test_one_registry(program):
    registries = program.of_type("aws:schemas/registry:Registry")
    assert len(registries) == 1
    assert registries[0].inputs["name"] == "loadshed-test-events"


def test_one_schema_per_event_with_exported_content(program):
    schemas = {r.inputs["name"]: r for r in program.of_type("aws:schemas/schema:Schema")}
    assert set(schemas) == {registry_schema_name(c) for c in ALL_EVENTS}
    for cls in ALL_EVENTS:
        deployed = schemas[registry_schema_name(cls)]
        assert deployed.inputs["type"] == SCHEMA_TYPE == "JSONSchemaDraft4"
        assert deployed.inputs["registryName"] == "loadshed-test-events"
        content = json.loads(deployed.inputs["content"])
        assert content == event_schema(cls)
        Draft4Validator.check_schema(content)


def test_children_are_parented_to_the_component(program):
    assert len(program.of_type("loadshed:contract:EventSchemaRegistry")) == 1
    component = program.namespace["registry"]
    children = component._childResources
    assert component.registry in children
    assert all(schema in children for schema in component.schemas.values())


def test_registry_documents_are_compact_and_complete():
    docs = registry_documents()
    assert len(docs) == len(ALL_EVENTS)
    assert all("\n" not in content for content in docs.values())
