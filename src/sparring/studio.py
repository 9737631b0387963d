"""Every catalogued graph as a module-level compiled graph, for LangGraph Studio and apps.

``langgraph.json`` at the repository root points ``langgraph dev`` at the names here
(``sparring.studio:self_rewarding``, ...; a graph's CLI name with ``-`` as ``_``). Each graph
has its technique's input and output schema; its roles are bound to the offline simulator
unless the run's configuration rebinds them::

    {"configurable": {"actor": "hosted_vllm/Qwen2.5-7B-Instruct",
                      "api_base": "http://localhost:8000/v1",
                      "judge": "openai/gpt-4o-mini",
                      "options": {"n_responses": 4}}}

Keys: one per role (``actor``, ``judge``, ``meta_judge``, ``critic``, ``sneaky``,
``planner``), ``default_model`` for roles not named, ``api_base`` for the models named here,
``seed`` (simulator and sampling), and ``options`` (the factory's options, as for ``-o``).
The same keys may come as LangGraph's runtime ``context`` instead.

LiteLLM is imported when this module is imported, not on the first call: ``langgraph dev``
runs graphs inside its event loop and flags blocking calls there, and LiteLLM's import does
some (it looks for a ``.env`` file from the working directory). The other first-use file reads
(prompts, simulator behaviours) happen at import too (``_warm_up``).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from importlib import resources
from typing import Any, NotRequired

from langgraph.config import get_config
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import get_runtime
from typing_extensions import TypedDict

from sparring.graphs import REGISTRY, GraphSpec, ItemInput
from sparring.graphs._sync import dual_node, run_coroutine
from sparring.models import ROLE_NAMES, Model, Roles
from sparring.models._litellm import litellm_module
from sparring.prompts import load_prompt

__all__ = [
    "CONFIG_KEYS",
    "GRAPHS",
    "attribute_name",
    "input_schema",
    "roles_from_config",
    "studio_graph",
]


def _warm_up() -> None:
    """Do the first-use work now, not in the server's event loop.

    LiteLLM's import, the packaged prompt files, the simulator's behaviour modules and
    LiteLLM's lazily loaded call path all read files on first use; ``langgraph dev`` flags
    such blocking calls inside its loop, so one simulated call is made here at import.
    """
    litellm_module()
    for path in resources.files("sparring.prompts").iterdir():
        if path.is_dir():
            for template in path.iterdir():
                if template.name.endswith(".md"):
                    load_prompt(f"{path.name}/{template.name.removesuffix('.md')}")
    run_coroutine(lambda: Roles.sim().complete("actor", "Warm up.", max_tokens=4))


_warm_up()

CONFIG_KEYS = (*ROLE_NAMES, "default_model", "api_base", "seed", "options")
_CACHE_SIZE = 32
_built: OrderedDict[str, CompiledStateGraph[Any, Any, Any, Any]] = OrderedDict()


def attribute_name(graph: str) -> str:
    """The module attribute holding a graph (``meta-rewarding`` -> ``meta_rewarding``)."""
    return graph.replace("-", "_")


def roles_from_config(configurable: Mapping[str, Any]) -> Roles:
    """Role bindings from a run's ``configurable`` (the simulator for every role not named).

    Other keys are ignored: LangGraph's server and checkpointer keep their own there
    (``thread_id``, ``langgraph_auth_user``, ...).
    """
    seed = int(configurable.get("seed") or 0)
    api_base = configurable.get("api_base")

    def model(name: str) -> Model:
        if name.startswith("sim/"):
            return Model(name, seed=seed)
        return Model(name, api_base=api_base, seed=seed)

    bound = {r: model(str(configurable[r])) for r in ROLE_NAMES if configurable.get(r)}
    default = configurable.get("default_model")
    if default:
        return Roles(bound, default=model(str(default)), sim_seed=seed)
    sim = {r: Model(f"sim/{r}", seed=seed) for r in ROLE_NAMES if r not in bound}
    return Roles({**sim, **bound}, sim_seed=seed)


def _inner(
    spec: GraphSpec, configurable: Mapping[str, Any]
) -> CompiledStateGraph[Any, Any, Any, Any]:
    mine = {k: configurable[k] for k in CONFIG_KEYS if configurable.get(k) is not None}
    key = json.dumps([spec.name, mine], sort_keys=True, default=str)
    graph = _built.get(key)
    if graph is None:
        options = dict(mine.get("options") or {})
        graph = spec.load()(roles_from_config(mine), **options)
        _built[key] = graph
        while len(_built) > _CACHE_SIZE:
            _built.popitem(last=False)
    _built.move_to_end(key)
    return graph


def _settings() -> dict[str, Any]:
    """The run's settings: ``configurable``, with LangGraph's runtime ``context`` over it.

    Newer LangGraph servers pass an assistant's settings as runtime context rather than in
    ``configurable``; either works.
    """
    settings = dict(get_config().get("configurable") or {})
    context: object = get_runtime().context  # typed as the graph's context, but may be a dict
    if isinstance(context, Mapping):
        settings.update({k: v for k, v in context.items() if k in CONFIG_KEYS})
    return settings


def input_schema(spec: GraphSpec) -> type[Any]:
    """What a user types in: the item (``ItemInput``) plus the graph's own inputs, if any.

    The techniques' states also hold every intermediate key; Studio's input form should not.
    """
    if not spec.inputs:
        return ItemInput
    fields: dict[str, Any] = {
        "prompt": str,
        "answer": NotRequired[str | None],
        "reference": NotRequired[str | None],
        "item_id": NotRequired[str | None],
    }
    fields.update(dict.fromkeys(spec.inputs, str))
    title = "".join(part.capitalize() for part in spec.name.split("-")) + "Input"
    # A TypedDict made at run time: mypy cannot check a computed one, LangGraph only reads it.
    made: type[Any] = TypedDict(title, fields)  # type: ignore[misc]
    return made


def studio_graph(name: str) -> CompiledStateGraph[Any, Any, Any, Any]:
    """A compiled graph for ``name`` whose roles come from the run's configuration.

    It has the technique's own input and output schema; one node builds (and caches) the
    technique's graph for the configured roles and runs it, so LangGraph's streaming with
    ``subgraphs=True`` shows the technique's own nodes.
    """
    spec = REGISTRY[name]
    template = spec.load()(Roles.sim())
    schema = template.builder
    builder: StateGraph[Any, Any, Any, Any] = StateGraph(
        schema.state_schema, input_schema=input_schema(spec), output_schema=schema.output_schema
    )

    async def run(state: Mapping[str, Any]) -> dict[str, Any]:
        inner = _inner(spec, _settings())
        out: dict[str, Any] = await inner.ainvoke(
            dict(state), {"recursion_limit": spec.recursion_limit}
        )
        return out

    builder.add_node(spec.name, dual_node(spec.name, run))
    builder.add_edge(START, spec.name)
    builder.add_edge(spec.name, END)
    return builder.compile(name=spec.name)


GRAPHS: dict[str, CompiledStateGraph[Any, Any, Any, Any]] = {
    name: studio_graph(name) for name in REGISTRY
}
globals().update({attribute_name(name): graph for name, graph in GRAPHS.items()})
