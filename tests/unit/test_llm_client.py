"""LLMClient against the loopback test double, through the real openai SDK; settings and pricing."""

from __future__ import annotations

import logging
import pickle
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from pipeline.agent.llm import LLMClient, LLMConfigError, LLMReply, make_client, resolve_settings
from pipeline.agent.pricing import cost_usd
from pipeline.agent.schemas import (
    DecompositionProposal,
    Finding,
    Plan,
    Reflection,
    Synthesis,
)
from pipeline.schemas import LLMSettings
from tests.fakes.llm_server import HELD_UNTIL_STOP_S, PATIENT_TIMEOUT_S, FakeLLMServer

SECRET = "sk-test-SECRET123"
QUESTION = "Who approved the Raptor hedging structure?"
EMAILS = "\n".join(
    f"[id: <{n}@enron>] 2001-05-0{n} | kaminski | Raptor note {n}" for n in range(1, 4)
)
GPT_4O_MINI_USD_PER_MTOK = (0.15, 0.60)  # genai-prices' bundled table, input / output

TASK_OF: dict[type[BaseModel], str] = {
    Plan: "plan",
    Reflection: "reflect",
    Finding: "summarize",
    DecompositionProposal: "decompose",
    Synthesis: "synthesize",
}


def messages_for(schema: type[BaseModel]) -> list[dict[str, Any]]:
    task = TASK_OF[schema]
    tags = "<round>1</round>\n<corpus_size>40</corpus_size>\n<max_chunks>3</max_chunks>"
    return [
        {"role": "system", "content": "You investigate email corpora."},
        {
            "role": "user",
            "content": f"<task>{task}</task>\n{tags}\n<question>{QUESTION}</question>\n{EMAILS}",
        },
    ]


def client_for(server: FakeLLMServer, **settings: Any) -> LLMClient:
    values = {"mode": "llm", "base_url": server.base_url, "timeout_s": 5.0, "max_retries": 2}
    return LLMClient(LLMSettings(**(values | settings)), api_key=SECRET)


def ask(client: LLMClient, schema: type[BaseModel] = Plan) -> LLMReply:
    return client.parse(messages_for(schema), schema, purpose=TASK_OF[schema])


# --- Success -------------------------------------------------------------------------------------


@pytest.mark.parametrize("schema", list(TASK_OF))
def test_each_schema_parses_through_structured_output(
    llm_server: FakeLLMServer, schema: type[BaseModel]
) -> None:
    reply = ask(client_for(llm_server), schema)
    assert reply.ok, reply.record.error
    assert isinstance(reply.parsed, schema)
    assert schema.model_validate_json(reply.raw_text) == reply.parsed
    [request] = llm_server.chat_requests()
    assert request.body["response_format"]["json_schema"]["name"] == schema.__name__
    record = reply.record
    assert (record.purpose, record.model, record.retries, record.error) == (
        TASK_OF[schema],
        "gpt-4o-mini",
        0,
        None,
    )
    assert record.request_id == request.request_id
    assert record.input_tokens > 0 and record.output_tokens > 0 and record.latency_s > 0


def test_tokens_and_cost_match_the_server_usage_and_price_table(llm_server: FakeLLMServer) -> None:
    client = client_for(llm_server)
    replies = [ask(client, Plan), ask(client, Finding)]
    usage_by_request = {r.request_id: r for r in llm_server.chat_requests()}
    input_price, output_price = GPT_4O_MINI_USD_PER_MTOK
    for reply in replies:
        record = reply.record
        sent = usage_by_request[record.request_id].body["messages"]
        prompt_chars = len("\n".join(m["content"] for m in sent))  # how the server counts
        assert record.input_tokens == prompt_chars // 4
        assert record.output_tokens == len(reply.raw_text) // 4
        expected = (record.input_tokens * input_price + record.output_tokens * output_price) / 1e6
        assert record.cost_usd == pytest.approx(expected)
        assert (record.cost_known, record.price_source) == (True, "genai-prices")
    total = sum(r.record.cost_usd for r in replies)
    assert total == pytest.approx(
        sum(
            cost_usd("gpt-4o-mini", r.record.input_tokens, r.record.output_tokens)[0]
            for r in replies
        )
    )


def test_unknown_model_has_unknown_cost_not_zero(llm_server: FakeLLMServer) -> None:
    reply = ask(client_for(llm_server, model="local-llama-test"))
    assert reply.ok
    assert reply.record.cost_usd is None
    assert (reply.record.cost_known, reply.record.price_source) == (False, "unknown")


def test_price_override_wins_over_the_table(llm_server: FakeLLMServer) -> None:
    client = client_for(
        llm_server, model="local-llama-test", input_usd_per_mtok=2.0, output_usd_per_mtok=10.0
    )
    record = ask(client).record
    assert record.price_source == "override" and record.cost_known
    assert record.cost_usd == pytest.approx(
        (record.input_tokens * 2.0 + record.output_tokens * 10.0) / 1e6
    )


def test_max_tokens_is_sent_under_the_name_local_servers_know(llm_server: FakeLLMServer) -> None:
    client_for(llm_server).parse(messages_for(Plan), Plan, purpose="plan", max_tokens=321)
    assert llm_server.chat_requests()[0].body["max_tokens"] == 321


# --- Faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["http429", "http500"])
def test_transient_http_fault_is_retried_by_the_sdk(make_llm_server, fault: str) -> None:
    server = make_llm_server(fault_schedule=[fault])
    reply = ask(client_for(server, max_retries=2))
    assert reply.ok
    assert reply.record.retries == 1
    assert [r.status for r in server.chat_requests()] == [429 if fault == "http429" else 500, 200]
    assert server.chat_requests()[1].headers["x-stainless-retry-count"] == "1"


def test_persistent_rate_limit_fails_with_a_clear_error(make_llm_server) -> None:
    server = make_llm_server(faults={"http429": 1.0})
    reply = ask(client_for(server, max_retries=2))
    assert reply.parsed is None and not reply.ok
    assert reply.record.error.startswith("HTTP 429 rate limited after 2 retries")
    assert reply.record.retries == 2
    assert len(server.chat_requests()) == 3
    assert reply.record.input_tokens == 0 and reply.record.cost_usd == 0.0


def test_persistent_server_error_fails_with_a_clear_error(make_llm_server) -> None:
    server = make_llm_server(faults={"http500": 1.0})
    record = ask(client_for(server, max_retries=1)).record
    assert record.error.startswith("HTTP 500 server error after 1 retry")
    assert record.retries == 1 and len(server.chat_requests()) == 2


def test_timeout_uses_the_client_timeout(make_llm_server) -> None:
    server = make_llm_server(fault_schedule=["timeout"], timeout_sleep_s=HELD_UNTIL_STOP_S)
    reply = ask(client_for(server, timeout_s=0.3, max_retries=0))
    assert reply.record.error == "timed out after 0.3s"
    assert reply.parsed is None
    # the client gave up on its own: the server still holds the request, unanswered
    assert reply.record.latency_s >= 0.3
    assert [r.status for r in server.chat_requests()] == [0]


def test_transient_timeout_is_retried(make_llm_server) -> None:
    # The first attempt is held for an hour (stop() ends it), so it always times out; the
    # timeout is long enough that the answered retry never races it on a loaded machine.
    server = make_llm_server(fault_schedule=["timeout"], timeout_sleep_s=HELD_UNTIL_STOP_S)
    reply = ask(client_for(server, timeout_s=PATIENT_TIMEOUT_S, max_retries=1))
    assert reply.ok and reply.record.retries == 1
    assert [r.status for r in server.chat_requests()] == [0, 200]


@pytest.mark.parametrize("json_schema", [True, False], ids=["structured", "json-mode"])
@pytest.mark.parametrize(
    ("fault", "error_start"),
    [
        ("malformed", "reply did not match schema Plan: "),
        ("refusal", "model refused: I'm sorry"),
        ("truncated", "reply truncated (finish_reason=length)"),
    ],
)
def test_unusable_replies_give_none_and_an_error(
    make_llm_server, fault: str, error_start: str, json_schema: bool
) -> None:
    server = make_llm_server(fault_schedule=[None, fault], json_schema=json_schema)
    client = client_for(server)
    assert ask(client).ok  # first call (and, without json_schema, the fallback) works
    reply = ask(client)
    assert reply.parsed is None and not reply.ok
    assert reply.record.error.startswith(error_start)
    assert reply.record.output_tokens > 0 and reply.record.cost_usd > 0  # billed all the same
    if fault != "refusal":
        assert reply.raw_text  # kept for the trajectory when record_prompts is on


def test_valid_json_with_wrong_fields_is_an_error_not_an_empty_object(
    llm_server: FakeLLMServer,
) -> None:
    llm_server.script(
        "Plan", [{"calls": []}, {"calls": [{"tool": "rm -rf", "reason": "x"}], "reason": "y"}]
    )
    client = client_for(llm_server)
    missing, wrong = ask(client), ask(client)
    assert missing.parsed is None and wrong.parsed is None
    assert missing.record.error == "reply did not match schema Plan: reason: Field required"
    assert wrong.record.error == (
        "reply did not match schema Plan: calls.0: Input tag 'rm -rf' found using 'tool' does "
        "not match any of the expected tags: 'grep', 'count', 'sender', 'recipient', 'date'"
    )


def test_json_mode_fallback_is_remembered(make_llm_server) -> None:
    server = make_llm_server(json_schema=False)
    client = client_for(server)
    first, second = ask(client, Plan), ask(client, Finding)
    assert first.ok and second.ok and isinstance(second.parsed, Finding)
    assert client.supports_json_schema is False and "json_schema=False" in repr(client)
    sent = [(r.status, r.body["response_format"]["type"]) for r in server.chat_requests()]
    assert sent == [(400, "json_schema"), (200, "json_object"), (200, "json_object")]
    system = server.chat_requests()[2].body["messages"][0]
    assert system["role"] == "system" and '"relevant_ids"' in system["content"]
    assert system["content"].startswith("You investigate email corpora.")


def test_json_mode_accepts_a_code_fenced_reply(make_llm_server) -> None:
    server = make_llm_server(json_schema=False)
    server.script("plan", ['```json\n{"calls": [], "reason": "nothing to search"}\n```'])
    reply = ask(client_for(server))
    assert reply.ok and reply.parsed == Plan(calls=[], reason="nothing to search")


def test_closed_port_gives_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = LLMSettings(mode="llm", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    record = (
        LLMClient(settings, api_key=SECRET).parse(messages_for(Plan), Plan, purpose="plan").record
    )
    assert record.error == f"cannot reach http://127.0.0.1:{port}/v1: connection refused"


def test_wrong_key_is_an_authentication_error_without_fallback(make_llm_server) -> None:
    server = make_llm_server(api_key="sk-test-OTHER")
    client = client_for(server)
    record = ask(client).record
    assert record.error.startswith("HTTP 401 authentication failed (check OPENAI_API_KEY)")
    assert client.supports_json_schema is True and len(server.chat_requests()) == 1


# --- Secrets -------------------------------------------------------------------------------------


def test_api_key_never_leaks(make_llm_server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    good = make_llm_server(fault_schedule=[None, "malformed"])
    limited = make_llm_server(faults={"http429": 1.0})
    wrong_key = make_llm_server(api_key="sk-test-OTHER")
    clients = [client_for(good), client_for(limited, max_retries=1), client_for(wrong_key)]
    replies = [ask(clients[0]), ask(clients[0]), ask(clients[1]), ask(clients[2])]
    closed = LLMClient(
        LLMSettings(mode="llm", base_url="http://127.0.0.1:9/v1", max_retries=0), api_key=SECRET
    )
    replies.append(ask(closed))
    assert [r.ok for r in replies] == [True, False, False, False, False]
    for reply in replies:
        assert SECRET not in reply.record.model_dump_json()
        assert SECRET not in (reply.record.error or "")
    for client in [*clients, closed]:
        assert SECRET not in repr(client) and SECRET not in client.settings.model_dump_json()
        with pytest.raises(TypeError, match="not serialisable"):
            pickle.dumps(client)
    assert caplog.text and SECRET not in caplog.text
    for server in (good, limited, wrong_key):
        for request in server.requests:
            assert request.headers["authorization"] == f"Bearer {SECRET}"
            others = {k: v for k, v in request.headers.items() if k != "authorization"}
            assert SECRET not in str(others) and SECRET not in str(request.body)


def test_scrub_removes_the_key_from_error_text(llm_server: FakeLLMServer) -> None:
    client = client_for(llm_server)
    assert (
        client._scrub(f"echoed {SECRET} and Authorization: Bearer abc.def")
        == "echoed *** and Authorization: Bearer ***"
    )


def test_base_url_without_key_sends_a_placeholder(llm_server: FakeLLMServer) -> None:
    client = LLMClient(LLMSettings(mode="llm", base_url=llm_server.base_url))
    assert ask(client).ok
    assert llm_server.requests[0].headers["authorization"] == "Bearer not-needed"


# --- Settings and construction -------------------------------------------------------------------


def test_resolve_settings_without_env_is_deterministic() -> None:
    settings = resolve_settings()
    assert (settings.mode, settings.model, settings.base_url) == (
        "deterministic",
        "gpt-4o-mini",
        None,
    )
    assert make_client(settings) is None


def test_resolve_settings_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_MODEL", "gpt-4.1")
    monkeypatch.setenv("RLM_INPUT_USD_PER_MTOK", "1.5")
    settings = resolve_settings()
    assert (settings.mode, settings.model, settings.input_usd_per_mtok) == ("llm", "gpt-4.1", 1.5)
    assert settings.output_usd_per_mtok is None and SECRET not in settings.model_dump_json()
    monkeypatch.setenv("RLM_MODEL", "gpt-4o")
    assert resolve_settings().model == "gpt-4o"  # RLM_MODEL wins over OPENAI_MODEL
    client = make_client(resolve_settings())
    assert isinstance(client, LLMClient) and client.base_url == "https://api.openai.com/v1"


def test_base_url_alone_selects_llm_mode(
    monkeypatch: pytest.MonkeyPatch, llm_server: FakeLLMServer
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    settings = resolve_settings()
    assert (settings.mode, settings.base_url) == ("llm", llm_server.base_url)
    assert ask(make_client(settings)).ok


def test_explicit_overrides_win_and_unset_fields_do_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("RLM_MODEL", "gpt-4o")
    settings = resolve_settings(LLMSettings(max_retries=0))
    assert (settings.mode, settings.model, settings.max_retries) == ("llm", "gpt-4o", 0)
    forced = resolve_settings(LLMSettings(mode="deterministic", model="gpt-4.1"))
    assert (forced.mode, forced.model) == ("deterministic", "gpt-4.1")


def test_bad_price_variable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RLM_OUTPUT_USD_PER_MTOK", "cheap")
    with pytest.raises(LLMConfigError, match="RLM_OUTPUT_USD_PER_MTOK='cheap' is not a number"):
        resolve_settings()


def test_llm_mode_without_key_or_base_url_is_a_config_error() -> None:
    with pytest.raises(LLMConfigError, match="OPENAI_API_KEY"):
        make_client(LLMSettings(mode="llm"))


# --- Pricing -------------------------------------------------------------------------------------


def test_pricing_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pricing tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    cost, source = cost_usd("gpt-4o-mini", 1_000_000, 1_000_000)
    assert (cost, source) == (pytest.approx(sum(GPT_4O_MINI_USD_PER_MTOK)), "genai-prices")


def test_partial_override_takes_the_other_side_from_the_table() -> None:
    settings = LLMSettings(input_usd_per_mtok=1.0)
    cost, source = cost_usd("gpt-4o-mini", 1_000_000, 1_000_000, settings)
    assert (cost, source) == (pytest.approx(1.0 + GPT_4O_MINI_USD_PER_MTOK[1]), "override")
    assert cost_usd("local-llama-test", 10, 10, settings) == (None, "unknown")
    with pytest.raises(ValueError, match=">= 0"):
        cost_usd("gpt-4o-mini", -1, 0)


def test_clients_with_the_same_settings_share_one_sdk_client(llm_server: FakeLLMServer) -> None:
    from pipeline.agent import llm as llm_module

    settings = LLMSettings(mode="llm", base_url=llm_server.base_url)
    first = LLMClient(settings, api_key="sk-share-a")
    second = LLMClient(settings, api_key="sk-share-a")
    other_key = LLMClient(settings, api_key="sk-share-b")
    slower = LLMClient(settings.model_copy(update={"timeout_s": 99.0}), api_key="sk-share-a")
    assert first._sdk is second._sdk
    assert other_key._sdk is not first._sdk and slower._sdk is not first._sdk
    reply = second.parse(messages_for(Plan), Plan, purpose="plan")
    assert reply.ok and reply.parsed is not None  # the shared client works
    assert not any("sk-share" in repr(key) for key in llm_module._SDK_CLIENTS)


NO_KEY_RUN = textwrap.dedent("""
    import sys
    from data.sample import SAMPLE_PATH
    from pipeline.agent.llm import make_client
    from pipeline.agent.loop import run_chunk
    from pipeline.schemas import Budget, LLMSettings
    from tools.ingest import ingest_path

    question = "Who sent the key accounts pricing spreadsheet outside the company?"
    result, _ = run_chunk(ingest_path(SAMPLE_PATH).corpus, chunk_id="chunk_00", query=question,
                          sub_question=question, settings=LLMSettings(), budget=Budget())
    print("cited", len(result.finding.relevant_ids))
    print("sdk after the no-key loop", "openai" in sys.modules)
    make_client(LLMSettings(mode="llm", base_url="http://127.0.0.1:9/v1"))
    print("sdk after the first client", "openai" in sys.modules)
""")


def test_a_no_key_run_never_imports_the_sdk() -> None:
    """Importing `openai` costs about 1.3 s of CPU in every process; a deterministic chunk loop
    must not pay it, and the first client must load it (in a fresh interpreter)."""
    done = subprocess.run([sys.executable, "-c", NO_KEY_RUN], cwd=Path(__file__).parents[2],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] != "cited 0", lines  # the loop really ran and answered
    assert lines[1:] == ["sdk after the no-key loop False", "sdk after the first client True"]
