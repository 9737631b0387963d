"""Prompt templates (package data files) and the fenced blocks untrusted text sits in."""

from sparring.prompts._blocks import (
    Block,
    defuse,
    fence,
    find_blocks,
    new_nonce,
    nonce_for,
    set_nonce_key,
)
from sparring.prompts._template import PromptTemplate, Untrusted, load_prompt, parse_template

__all__ = [
    "Block",
    "PromptTemplate",
    "Untrusted",
    "defuse",
    "fence",
    "find_blocks",
    "load_prompt",
    "new_nonce",
    "nonce_for",
    "parse_template",
    "set_nonce_key",
]
