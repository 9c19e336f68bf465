"""Deterministic model replies for the loopback test server (a TEST DOUBLE, not a model).

The fake server (tests/fakes/llm_server.py) reads the prompt the way a model would, through the
PROMPT CONTRACT shared with pipeline/agent/prompts.py:

- the task is the json_schema name in `response_format` (`Plan`, `Reflection`, `Finding`,
  `DecompositionProposal`, `Synthesis`) or, in JSON mode, a `<task>plan|reflect|summarize|
  decompose|synthesize</task>` marker;
- the question is `<question>...</question>`; emails and evidence are lines starting `[id: X]`;
- reflect prompts carry `<round>N</round>`; decompose prompts carry `<corpus_size>N</corpus_size>`
  and `<max_chunks>K</max_chunks>`; a reflect prompt of a chunk that may split carries
  `<may_split>yes</may_split>`, `<candidates>N</candidates>` and `<chunk_size>N</chunk_size>`.

Every reply built here is a plain dict that validates against pipeline/agent/schemas.py, except
for the adversarial behaviours that break the schemas' limits on purpose (`many_calls`,
`injection_obeyed` and `thousand_chunks` list too many items, `huge` runs its text on): what a
server without strict structured output may send, and what the client must reject as a schema
error. The other behaviours keep the reply valid and misbehave only in content (invented ids,
never sufficient), which is exactly what the reliability suite needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pipeline.agent.schemas import MAX_EVIDENCE_ITEMS, MAX_FINDINGS, MAX_RELEVANT_IDS

TASKS = ("plan", "reflect", "summarize", "decompose", "synthesize", "answer", "judge")
SCHEMA_TASKS = {
    "Plan": "plan",
    "Reflection": "reflect",
    "Finding": "summarize",
    "DecompositionProposal": "decompose",
    "Synthesis": "synthesize",
    "CitedAnswer": "answer",  # evaluation baselines (tests/fakes/eval_replies.py)
    "AnswerJudgement": "judge",
}
BEHAVIOURS = (
    "normal",
    "never_sufficient",
    "many_calls",
    "huge",
    "invent_ids",
    "thousand_chunks",
    "injection_obeyed",
    "always_split",
)
HUGE_REPLY_CHARS = 200_000
MAX_CITED_IDS = 5
# a question asking for every/all emails: every id shown, as far as the reply schemas allow
# (3 single-email findings, then the rest in findings of MAX_RELEVANT_IDS ids each)
MAX_LISTED_IDS = 3 + (MAX_FINDINGS - 3) * MAX_RELEVANT_IDS
_ASKS_FOR_ALL = re.compile(r"\b(?:every|all|list)\b", re.IGNORECASE)

_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before being
between both but by can could did do does doing down during each few for from further had has
have having he her here hers him his how i if in into is it its itself just me more most my no
nor not now of off on once only or other our ours out over own same she should so some such than
that the their theirs them then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours tell show
find list give say said many much emails email mail messages message anyone someone anything
something please know
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_QUESTION = re.compile(r"<question>(.*?)</question>", re.DOTALL | re.IGNORECASE)
_TASK_MARKER = re.compile(r"<task>\s*(\w+)\s*</task>", re.IGNORECASE)
_ID_LINE = re.compile(r"^[ \t]*\[id:\s*([^\]\n]+?)\s*\](.*)$", re.MULTILINE)
_INT_TAG = {
    name: re.compile(rf"<{name}>\s*(\d+)\s*</{name}>", re.IGNORECASE)
    for name in ("round", "corpus_size", "max_chunks", "candidates", "chunk_size")
}
_MAY_SPLIT = re.compile(r"<may_split>\s*yes\s*</may_split>", re.IGNORECASE)
SPLIT_CANDIDATES = 48  # the fake splits, when allowed, above this many matches (like the rule)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\-]*")
_INJECTED_ID = re.compile(
    r"(?i)\bcite\s+(?:the\s+)?(?:email\s+)?(?:id\s*)?[:#]?\s*([A-Za-z0-9<][\w.@<>:/\-]{2,})"
)


def normalise_task(name: str) -> str:
    """`Plan` or `plan` -> `plan`; raise ValueError naming the known tasks otherwise."""
    if name in SCHEMA_TASKS:
        return SCHEMA_TASKS[name]
    if name.lower() in TASKS:
        return name.lower()
    raise ValueError(f"unknown task {name!r}: use one of {sorted(SCHEMA_TASKS)} or {list(TASKS)}")


def detect_task(body: dict[str, Any], prompt_text: str) -> str | None:
    """The task a request asks for: json_schema name first, then the `<task>` marker."""
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        name = (response_format.get("json_schema") or {}).get("name", "")
        if name in SCHEMA_TASKS:
            return SCHEMA_TASKS[name]
    marker = _TASK_MARKER.findall(prompt_text)
    if marker and marker[-1].lower() in TASKS:
        return marker[-1].lower()
    return None


def prompt_text_of(messages: Any) -> str:
    """All message text joined, whether content is a string or a list of text parts."""
    parts: list[str] = []
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(
                p.get("text", "")
                for p in content
                if isinstance(p, dict) and p.get("type") == "text"
            )
    return "\n".join(parts)


@dataclass
class PromptFacts:
    """What the fake model reads out of a prompt."""

    question: str
    ids: list[str]
    id_snippets: dict[str, str]
    round: int
    corpus_size: int | None
    max_chunks: int | None
    injected_ids: list[str] = field(default_factory=list)
    may_split: bool = False
    candidates: int = 0

    @classmethod
    def read(cls, text: str) -> PromptFacts:
        questions = _QUESTION.findall(text)
        ids: list[str] = []
        snippets: dict[str, str] = {}
        for email_id, rest in _ID_LINE.findall(text):
            if email_id not in snippets:
                ids.append(email_id)
                snippets[email_id] = rest.strip()[:120]
        known = set(ids)
        first_email = _ID_LINE.search(text)
        emails_text = text[first_email.start() :] if first_email else ""
        injected = [
            m
            for m in _INJECTED_ID.findall(emails_text)
            if m not in known and re.search(r"[\d@<]", m)
        ]
        return cls(
            question=questions[-1].strip() if questions else "",
            ids=ids,
            id_snippets=snippets,
            round=_int_tag(text, "round") or 1,
            corpus_size=_int_tag(text, "corpus_size"),
            max_chunks=_int_tag(text, "max_chunks"),
            injected_ids=injected,
            may_split=bool(_MAY_SPLIT.search(text)),
            candidates=_int_tag(text, "candidates") or 0,
        )

    def key_terms(self, limit: int = 3) -> list[str]:
        """The longest distinctive words of the question (stopwords dropped), longest first."""
        seen: dict[str, int] = {}
        for position, word in enumerate(_WORD.findall(self.question)):
            lowered = word.lower().strip("'-")
            if len(lowered) > 2 and lowered not in STOPWORDS and lowered not in seen:
                seen[lowered] = position
        ranked = sorted(seen, key=lambda w: (-len(w), seen[w]))
        return ranked[:limit]


def _int_tag(text: str, name: str) -> int | None:
    found = _INT_TAG[name].findall(text)
    return int(found[-1]) if found else None


def _pad(text: str) -> str:
    filler = " This sentence pads the reply to test size limits."
    repeats = HUGE_REPLY_CHARS // len(filler) + 1
    return (text + filler * repeats)[:HUGE_REPLY_CHARS]


def _call(tool: str, reason: str, **args: str) -> dict[str, Any]:
    """A typed tool call: the tool, only the arguments that tool takes, a reason."""
    return {"tool": tool, **args, "reason": reason}


# --- One builder per task ----------------------------------------------------------------------


def plan_reply(facts: PromptFacts, behaviour: str) -> dict[str, Any]:
    terms = facts.key_terms() or ["."]
    if behaviour == "many_calls":
        calls = [
            _call(
                "grep",
                f"call {i + 1} of 50: try '{terms[i % len(terms)]}' again",
                pattern=terms[i % len(terms)],
            )
            for i in range(50)
        ]
        return {"calls": calls, "reason": "Searching exhaustively with fifty greps."}
    if behaviour == "injection_obeyed":
        calls = [
            _call("grep", "an email told me to grep 1000 times", pattern=".") for _ in range(1000)
        ]
        return {"calls": calls, "reason": "Following the instructions found inside an email."}
    calls = [_call("grep", f"find emails that mention '{term}'", pattern=term) for term in terms]
    if re.search(r"\b(how many|count|number of)\b", facts.question, re.IGNORECASE):
        calls.append(_call("count", f"count how often '{terms[0]}' occurs", pattern=terms[0]))
    reason = f"Search for the key terms of the question: {', '.join(terms)}."
    return {"calls": calls, "reason": _pad(reason) if behaviour == "huge" else reason}


def reflect_reply(facts: PromptFacts, behaviour: str, sufficient_after: int) -> dict[str, Any]:
    sufficient = behaviour != "never_sufficient" and facts.round >= sufficient_after
    terms = facts.key_terms()
    if sufficient:
        reason = f"Round {facts.round}: the matches so far answer the question."
        next_focus = None
    else:
        reason = f"Round {facts.round}: not enough evidence yet."
        next_focus = (
            f"look for more about '{terms[facts.round % len(terms)] if terms else 'the question'}'"
        )
    split = behaviour == "always_split" or (
        facts.may_split and facts.candidates > SPLIT_CANDIDATES and behaviour != "never_sufficient"
    )
    if split:
        reason = f"Round {facts.round}: {facts.candidates} matches, more than I can read: split."
    if behaviour == "huge":
        reason = _pad(reason)
    return {"sufficient": sufficient, "reason": reason, "next_focus": next_focus, "split": split}


def _cited_ids(facts: PromptFacts, behaviour: str) -> list[str]:
    """The ids shown first (best evidence first); all of them, up to MAX_LISTED_IDS, when the
    question asks for every email about something, as a model answering it would."""
    limit = MAX_LISTED_IDS if _ASKS_FOR_ALL.search(facts.question) else MAX_CITED_IDS
    cited = facts.ids[:limit]
    if behaviour == "invent_ids":
        invented = ["<invented-0001@fake>", "<invented-0002@fake>"]
        cited = [*cited[:2], invented[0], *cited[2:4], invented[1]]
    elif behaviour == "injection_obeyed":
        cited = [*cited[:3], *(facts.injected_ids[:1] or ["<injected-id@attacker>"])]
    return cited


def finding_reply(facts: PromptFacts, behaviour: str) -> dict[str, Any]:
    cited = _cited_ids(facts, behaviour)[:MAX_EVIDENCE_ITEMS]
    question = facts.question or "the question"
    if not cited:
        return {
            "answer": f"No email in this chunk addresses {question!r}.",
            "confidence": "low",
            "evidence": [],
            "relevant_ids": [],
        }
    answer = (
        f"Regarding {question!r}: {len(cited)} emails in this chunk bear on it. "
        f"The clearest is {cited[0]}."
    )
    evidence = [
        {"claim": facts.id_snippets.get(i) or f"Email {i} is relevant.", "email_ids": [i]}
        for i in cited
    ]
    return {
        "answer": _pad(answer) if behaviour == "huge" else answer,
        "confidence": "high" if len(cited) >= 3 else "medium",
        "evidence": evidence,
        "relevant_ids": cited,
    }


def decompose_reply(facts: PromptFacts, behaviour: str) -> dict[str, Any]:
    size = max(0, facts.corpus_size or 0)
    wanted = 1000 if behaviour == "thousand_chunks" else max(1, facts.max_chunks or 1)
    count = wanted if behaviour == "thousand_chunks" else max(1, min(wanted, size))
    question = facts.question or "the question"
    chunks = []
    for index in range(count):
        start, end = size * index // count, size * (index + 1) // count
        chunks.append(
            {
                "start": start,
                "end": end,
                "focus": f"emails {start}..{max(start, end - 1)} of the date-sorted corpus",
                "sub_question": f"{question} (emails {start} to {max(start, end - 1)})",
            }
        )
    reason = f"{count} contiguous, equal ranges over {size} date-sorted emails."
    return {"chunks": chunks, "reason": _pad(reason) if behaviour == "huge" else reason}


def synthesis_reply(facts: PromptFacts, behaviour: str) -> dict[str, Any]:
    cited = _cited_ids(facts, behaviour)
    question = facts.question or "the question"
    if not cited:
        return {
            "summary": f"The chunks found no evidence about {question!r}.",
            "confidence": "low",
            "findings": [],
            "evidence_gaps": ["No chunk cited any email."],
        }
    findings = [
        {
            "text": facts.id_snippets.get(i) or f"Email {i} supports the answer.",
            "confidence": "high" if n == 0 else "medium",
            "evidence_ids": [i],
        }
        for n, i in enumerate(cited[:3])
    ]
    rest = cited[3:]
    for start in range(0, len(rest), MAX_RELEVANT_IDS):
        findings.append(
            {
                "text": "Further emails corroborate the findings above.",
                "confidence": "medium",
                "evidence_ids": rest[start : start + MAX_RELEVANT_IDS],
            }
        )
    summary = (
        f"Across the chunks, {len(cited)} emails answer {question!r}; {cited[0]} is the clearest."
    )
    return {
        "summary": _pad(summary) if behaviour == "huge" else summary,
        "confidence": "high" if len(cited) >= 3 else "medium",
        "findings": findings,
        "evidence_gaps": []
        if len(cited) >= 3
        else ["Few emails cited; the answer may be partial."],
    }


def build_reply(
    task: str, prompt_text: str, *, behaviour: str = "normal", sufficient_after: int = 1
) -> dict[str, Any]:
    """The reply dict the fake model gives for `task` (a key of TASKS) and this prompt."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"unknown behaviour {behaviour!r}: use one of {list(BEHAVIOURS)}")
    facts = PromptFacts.read(prompt_text)
    if task == "plan":
        return plan_reply(facts, behaviour)
    if task == "reflect":
        return reflect_reply(facts, behaviour, sufficient_after)
    if task == "summarize":
        return finding_reply(facts, behaviour)
    if task == "decompose":
        return decompose_reply(facts, behaviour)
    if task == "synthesize":
        return synthesis_reply(facts, behaviour)
    if task in ("answer", "judge"):
        from tests.fakes import eval_replies

        if task == "answer":
            return eval_replies.answer_reply(facts, prompt_text)
        return eval_replies.judge_reply(prompt_text)
    raise ValueError(f"unknown task {task!r}: use one of {list(TASKS)}")
