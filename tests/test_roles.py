from __future__ import annotations

import pytest

from sparring import Model, Roles
from sparring.errors import ConfigError
from sparring.models import ROLE_NAMES


def test_precedence_explicit_beats_binding_beats_default() -> None:
    roles = Roles(judge="openai/gpt-4o-mini", default="anthropic/claude-3-5-haiku")
    assert roles.source("judge") == (Model(name="openai/gpt-4o-mini"), "bound")
    assert roles.source("critic")[1] == "default"
    assert roles.resolve("critic").name == "anthropic/claude-3-5-haiku"
    explicit = Model(name="hosted_vllm/qwen", api_base="http://127.0.0.1:8000/v1")
    assert roles.source("judge", explicit) == (explicit, "explicit")
    assert roles.resolve("judge", "ollama/llama3").name == "ollama/llama3"


def test_unbound_role_without_default_falls_back_to_simulator() -> None:
    roles = Roles(actor="openai/gpt-4o-mini", sim_seed=7)
    model, source = roles.source("meta_judge")
    assert source == "simulator"
    assert model.name == "sim/meta_judge" and model.seed == 7
    assert roles.uses_simulator("meta_judge") and not roles.uses_simulator("actor")


def test_sim_binds_every_known_role_with_seed_and_profile() -> None:
    roles = Roles.sim(seed=3, profile={"judge": {"position_bias": 1.0}})
    assert roles.names == sorted(ROLE_NAMES)
    judge = roles.resolve("judge")
    assert judge.seed == 3 and judge.extra["sim_profile"] == {"judge": {"position_bias": 1.0}}


def test_new_role_names_are_open_but_checked() -> None:
    roles = Roles(summarizer="openai/gpt-4o-mini")
    assert roles.resolve("summarizer").name == "openai/gpt-4o-mini"
    with pytest.raises(ConfigError, match="not valid"):
        Roles(**{"Bad-Role": "openai/x"})
    with pytest.raises(ConfigError):
        roles.resolve("no spaces")


def test_bind_returns_a_copy() -> None:
    roles = Roles(actor="openai/a")
    other = roles.bind(actor="openai/b", judge="openai/c")
    assert roles.resolve("actor").name == "openai/a"
    assert other.resolve("actor").name == "openai/b" and other.resolve("judge").name == "openai/c"


def test_model_keeps_key_secret_and_knows_provider() -> None:
    model = Model(name="openai/gpt-4o", api_key="sk-test-abcdefghijklmnop1234")
    assert "sk-test" not in repr(model) and "sk-test" not in model.model_dump_json()
    assert model.provider == "openai" and model.uses_native_n
    assert Model(name="anthropic/claude").uses_native_n is False
    assert Model(name="anthropic/claude", native_n=True).uses_native_n
    assert Model(name="gpt-4o").provider == "openai"
    changed = model.with_options(temperature=0.0)
    assert changed.temperature == 0.0 and changed.api_key == model.api_key


def test_model_rejects_bad_names_and_chat_models() -> None:
    with pytest.raises(ValueError):
        Model(name="")
    with pytest.raises(TypeError):
        Model(name="x", chat_model=object())
