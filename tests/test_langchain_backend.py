from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from sparring import Model, Roles
from sparring.models import Gateway
from sparring.trace import MemorySink, ModelCallEvent


async def test_langchain_chat_model_as_role_backend() -> None:
    chat = FakeListChatModel(responses=["Score: 4", "Score: 2", "Score: 5"])
    sink = MemorySink()
    roles = Roles(judge=chat, gateway=Gateway(sink=sink))
    model = roles.resolve("judge")
    assert model.provider == "langchain" and model.name == "langchain/FakeListChatModel"
    first = await roles.complete("judge", "Rate this.")
    assert first.text == "Score: 4"
    many = await roles.complete("judge", "Rate this.", n=2)
    assert sorted(many.texts) == ["Score: 2", "Score: 5"] and [c.index for c in many] == [0, 1]
    events = sink.of_kind(ModelCallEvent)
    assert [e.model for e in events] == ["langchain/FakeListChatModel"] * 2
    assert roles.gateway.usage.by_role["judge"].samples == 3


async def test_langchain_backend_with_price_override() -> None:
    chat = FakeListChatModel(responses=["hello"])
    model = Model.from_langchain(
        chat, name="local/fake", input_cost_per_token=0.0, output_cost_per_token=0.0
    )
    result = await model.complete("hi", gateway=Gateway())
    assert result.text == "hello" and result.cost_usd == 0.0
