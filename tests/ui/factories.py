"""Hand-made run views, reports, trajectories and emails for UI tests.

Their texts carry the hostile markup the UI must show as characters (`XSS`), so every test that
renders them also checks escaping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.agent.schemas import LLMCallRecord, Trajectory, TrajectoryEvent
from pipeline.schemas import FailedChunk, Report, ReportFinding, RunTotals
from pipeline.views import ChunkView, RunView
from tools.models import Email

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
XSS = (
    '<script>window.__xss=1</script> <img src=x onerror="window.__xss=2"> '
    "[click](javascript:window.__xss=3)"
)


def make_run(
    *,
    run_id: str = "run-id-1",
    name: str = "rlm-test-1",
    status: str = "completed",
    mode: str = "llm",
    chunk_costs: tuple[float, ...] = (0.001, 0.002, 0.0015, 0.009),
) -> RunView:
    chunks = [
        ChunkView(
            id=f"chunk_{i:02d}",
            start=i * 10,
            end=i * 10 + 10,
            size=10,
            label=f"2024-0{i + 1}-01 .. 2024-0{i + 1}-28",
            status="done",
            llm_calls=2 + i,
            iterations=1 + i,
            input_tokens=1000 * (i + 1),
            output_tokens=100 * (i + 1),
            cost_usd=cost,
            matches=3 * i,
            duration_s=1.5 + i,
            started_at=T0 + timedelta(seconds=i),
            ended_at=T0 + timedelta(seconds=2.5 + 2 * i),
        )
        for i, cost in enumerate(chunk_costs)
    ]
    return RunView(
        run_id=run_id,
        name=name,
        status=status,  # type: ignore[arg-type]
        query="Who leaked the Cedar memo? " + XSS,
        source="data/sample/northwind_mail.json",
        mode=mode,
        model="gpt-4o-mini",
        max_chunks=len(chunks),
        max_iterations=6,
        created_at=T0,
        ended_at=T0 + timedelta(seconds=12),
        plan_source="deterministic",
        chunks=chunks,
        totals=RunTotals(chunks=len(chunks), chunks_ok=len(chunks), duration_s=12.0),
    )


def make_report() -> Report:
    return Report(
        query="Who leaked the Cedar memo? " + XSS,
        summary="Dana forwarded the memo. " + XSS,
        findings=[
            ReportFinding(
                text="Finding one " + XSS, confidence="high", evidence_ids=["e-1", "e-2"]
            ),
            ReportFinding(text="Finding two", confidence="low", evidence_ids=["e-3"]),
        ],
        cited_ids=["e-1", "e-2", "e-3"],
        evidence_gaps=["No reply from legal " + XSS],
        failed_chunks=[FailedChunk(chunk_id="chunk_03", error="endpoint timed out " + XSS)],
        mode="llm",
        model="gpt-4o-mini",
        plan_source="deterministic",
        totals=RunTotals(chunks=4, chunks_ok=3, chunks_failed=1, llm_calls=14, cost_usd=0.0135),
    )


def make_email(email_id: str) -> Email:
    return Email(
        id=email_id,
        date=T0,
        sender="dana@northwind.example",
        to=("lee@northwind.example",),
        subject="Re: Cedar " + XSS,
        body="First line\n" + XSS,
    )


_DETAILS = {
    "plan": {"calls": [{"tool": "grep", "pattern": "cedar " + XSS, "reason": "terms"}]},
    "reflect": {"sufficient": False, "next_focus": "the memo " + XSS},
}


def make_trajectory(chunk_id: str = "chunk_00") -> Trajectory:
    kinds = ["preview", "plan", "tool_call", "tool_call", "reflect", "summarize"]
    events = []
    for seq, kind in enumerate(kinds):
        is_tool = kind == "tool_call"
        events.append(
            TrajectoryEvent(
                seq=seq,
                kind=kind,  # type: ignore[arg-type]
                started_at=T0 + timedelta(seconds=seq),
                ended_at=T0 + timedelta(seconds=seq + 0.4),
                iteration=1,
                tool="grep" if is_tool else None,
                args={"pattern": "cedar " + XSS} if is_tool else {},
                match_count=2 if is_tool else None,
                matched_ids=["e-1", "e-2"] if is_tool else [],
                llm=LLMCallRecord(
                    model="gpt-4o-mini",
                    purpose=kind,
                    input_tokens=400,
                    output_tokens=40,
                    cost_usd=0.0002,
                )
                if kind in ("plan", "reflect", "summarize")
                else None,
                reason=f"step {seq}: {kind} because " + XSS,
                detail=_DETAILS.get(kind, {}),
            )
        )
    return Trajectory(
        chunk_id=chunk_id,
        query="q",
        sub_question="What happened to the memo? " + XSS,
        mode="llm",
        model="gpt-4o-mini",
        started_at=T0,
        ended_at=T0 + timedelta(seconds=6),
        events=events,
    )


def stub_thread_reads() -> None:
    """Inside an AppTest script: the thread view reads emails from `make_email` and finds no
    stored corpus (so no thread index and no pinning). Tests restore `run_store` afterwards."""
    from ui import run_store

    run_store.emails = lambda run, ids: {i: make_email(i) for i in ids}
    run_store.corpus = lambda run: None
    run_store.corpus_index = lambda run: None
    run_store.find_run = lambda run_id: make_run(run_id=run_id)
