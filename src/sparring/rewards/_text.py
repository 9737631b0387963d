"""Prompts and completions as plain text: chat messages, chat templates and end tokens removed.

Trainers hand rewards text in several shapes. TRL gives strings or conversational message
lists; OpenRLHF gives the whole decoded sequence (``query``: the chat-templated prompt, the
completion, and the end-of-sequence token, special tokens kept) and the templated prompt.
A judge must see the question and the answer, not ``<|im_start|>`` headers, and an answer
extractor must not read ``<|im_end|>`` as part of the answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["completion_text", "prompt_text", "split_query", "strip_special_tokens"]

# End-of-sequence, end-of-turn and begin-of-text tokens of common chat templates
# (ChatML/Qwen, Llama 2 and 3, Mistral, Gemma, Phi, GPT-2 style).
_SPECIAL_RE = re.compile(
    r"<\|im_end\|>|<\|endoftext\|>|<\|eot_id\|>|<\|end_of_text\|>|<\|begin_of_text\|>"
    r"|<\|end\|>|<end_of_turn>|<eos>|<bos>|</s>|<s>|<pad>|<\|pad\|>"
)
# The header that opens an assistant turn; the completion starts after the last one. Spaces
# are allowed inside headers: some tokenizers decode "<|im_start|>" and "assistant" apart.
_ASSISTANT_RE = re.compile(
    r"<\|im_start\|>\s*assistant\s*\n?"
    r"|<\|start_header_id\|>\s*assistant\s*<\|end_header_id\|>\s*"
    r"|<start_of_turn>\s*model\s*\n?"
    r"|<\|assistant\|>\s*"
    r"|\[/INST\]\s*"
)
# The last user turn of a templated prompt: (opening header, closing token).
_USER_TURNS = (
    (r"<\|im_start\|>\s*user\s*\n?", r"<\|im_end\|>"),
    (r"<\|start_header_id\|>\s*user\s*<\|end_header_id\|>\s*", r"<\|eot_id\|>"),
    (r"<start_of_turn>\s*user\s*\n?", r"<end_of_turn>"),
    (r"<\|user\|>\s*", r"<\|end\|>"),
    (r"\[INST\]\s*", r"\[/INST\]"),
)
_ANY_HEADER_RE = re.compile(
    r"<\|im_start\|>\s*\w+\s*\n?|<\|start_header_id\|>\s*\w+\s*<\|end_header_id\|>\s*"
    r"|<start_of_turn>\s*\w+\s*\n?|<\|(?:system|user|assistant)\|>\s*|\[/?INST\]"
)


def strip_special_tokens(text: str) -> str:
    """``text`` without end/begin-of-sequence tokens and turn headers, stripped."""
    return _ANY_HEADER_RE.sub("", _SPECIAL_RE.sub("", text)).strip()


def _message_text(item: Any) -> str | None:
    """The content of the last message of a conversational item, or None if it is not one."""
    if isinstance(item, Sequence) and not isinstance(item, str) and item:
        last = item[-1]
        if isinstance(last, Mapping):
            content = last.get("content", "")
            if isinstance(content, list):  # multimodal content parts: keep the text parts
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
            return str(content)
    return None


def prompt_text(prompt: Any) -> str:
    """The question of a prompt: the last user turn of a templated or conversational prompt."""
    message = _message_text(prompt)
    if message is not None:
        return message.strip()
    text = str(prompt)
    for opening, closing in _USER_TURNS:
        turns = list(re.finditer(f"{opening}(.*?)(?:{closing}|$)", text, re.DOTALL))
        if turns:
            return strip_special_tokens(turns[-1].group(1))
    return strip_special_tokens(text)


def completion_text(completion: Any) -> str:
    """A completion as plain text (an assistant message's content; end tokens removed)."""
    message = _message_text(completion)
    return strip_special_tokens(message if message is not None else str(completion))


def split_query(query: str, prompt: str) -> str:
    """The completion part of an OpenRLHF ``query`` (prompt and completion, decoded together).

    The query usually starts with the prompt as given; when decoding changed the prompt's
    text (a tokenizer that normalises spaces), the completion is what follows the last
    assistant header; without one, the whole query minus special tokens.
    """
    if prompt and query.startswith(prompt):
        return query[len(prompt) :]
    headers = list(_ASSISTANT_RE.finditer(query))
    if headers:
        return query[headers[-1].end() :]
    stripped_prompt = strip_special_tokens(prompt)
    stripped = strip_special_tokens(query)
    if stripped_prompt and stripped.startswith(stripped_prompt):
        return stripped[len(stripped_prompt) :]
    return stripped
