"""Step-by-step replay of one chunk's trajectory.

Back/forward buttons and a slider share one session key (`state.REPLAY_STEP`, 1-based); the
buttons move it through callbacks, so the slider always agrees. A "Jump to a step" list names
every step by what happened in it (`recurse`, `tool_call grep`, ...), so a long trajectory's
split or error is one choice away. For the current event it shows what the model (or the
deterministic rule) decided and why, the tool's arguments, the matched emails (clickable), and
the call's tokens and cost.
"""

from __future__ import annotations

import streamlit as st

from pipeline.agent.schemas import Trajectory, TrajectoryEvent
from pipeline.cost_text import short_cost_text, unknown_reason
from pipeline.views import RunView
from ui import state
from ui.components.email_viewer import email_buttons
from ui.components.run_tree import render_child_link
from ui.components.safe_text import md_escape
from ui.components.timeline import event_label

MAX_MATCH_BUTTONS = 25


def _clamped_step(total: int) -> int:
    step = st.session_state.get(state.REPLAY_STEP) or 1
    return max(1, min(int(step), total))


def _move(delta: int, total: int) -> None:
    st.session_state[state.REPLAY_STEP] = max(1, min(_clamped_step(total) + delta, total))


def _jump(total: int) -> None:
    chosen = st.session_state.get(state.REPLAY_JUMP)
    if chosen is not None:
        st.session_state[state.REPLAY_STEP] = max(1, min(int(chosen), total))
    st.session_state[state.REPLAY_JUMP] = None  # the list is a command, not a second position


def _jump_list(trajectory: Trajectory) -> None:
    events = trajectory.events
    st.selectbox(
        "Jump to a step",
        range(1, len(events) + 1),
        index=None,
        key=state.REPLAY_JUMP,
        format_func=lambda step: f"{step}: {event_label(events[step - 1])}",
        placeholder="Jump to a step…",
        on_change=_jump,
        args=(len(events),),
        label_visibility="collapsed",
    )


def replay_controls(trajectory: Trajectory) -> TrajectoryEvent | None:
    """Back / forward / slider / jump list; returns the event at the current step."""
    total = len(trajectory.events)
    if total == 0:
        st.info("This chunk recorded no events.")
        return None
    step = _clamped_step(total)
    st.session_state[state.REPLAY_STEP] = step
    back, indicator, forward = st.columns([1, 3, 1], vertical_alignment="center")
    back.button(
        "◀ Back",
        key="replay_back",
        on_click=_move,
        args=(-1, total),
        disabled=step <= 1,
        width="stretch",
    )
    forward.button(
        "Forward ▶",
        key="replay_forward",
        on_click=_move,
        args=(1, total),
        disabled=step >= total,
        width="stretch",
    )
    current = trajectory.events[step - 1]
    indicator.markdown(f"**Step {step} of {total}**", text_alignment="center")
    if total > 1:
        st.slider("Replay step", 1, total, key=state.REPLAY_STEP, label_visibility="collapsed")
        _jump_list(trajectory)
    return current


def _render_decision(event: TrajectoryEvent) -> None:
    """The plan's chosen tool calls, or the reflection's verdict (from the event's detail)."""
    calls = event.detail.get("calls") if event.kind == "plan" else None
    if isinstance(calls, list) and calls:
        st.markdown("**Tool calls decided**")
        rows = [
            {name: "" if value is None else str(value) for name, value in call.items()}
            for call in calls
            if isinstance(call, dict)
        ]
        st.dataframe(rows, hide_index=True, key=f"plan_calls_{event.seq}")
    if event.kind == "reflect" and "sufficient" in event.detail:
        verdict = "yes" if event.detail.get("sufficient") else "no"
        focus = event.detail.get("next_focus")
        next_step = f" · next focus: {md_escape(focus)}" if focus else ""
        st.markdown(f"**Enough evidence:** {verdict}{next_step}")


def render_event(run: RunView, trajectory: Trajectory, event: TrajectoryEvent) -> None:
    """What happened at this step, and why."""
    offset = (event.started_at - trajectory.started_at).total_seconds()
    duration = (event.ended_at - event.started_at).total_seconds()
    iteration = f" · iteration {event.iteration}" if event.iteration is not None else ""
    st.markdown(
        f"#### {md_escape(event_label(event))}\n"
        f"at +{offset:.2f} s · took {duration:.2f} s{iteration}"
    )
    if event.reason:
        with st.container(border=True):
            st.markdown(f"**Why:** {md_escape(event.reason)}")
    _render_decision(event)
    render_child_link(run, event, trajectory.chunk_id)
    if event.error:
        st.error(f"**Error:** {md_escape(event.error, max_chars=800)}")
    if event.args:
        st.markdown("**Tool arguments**")
        st.json(event.args, expanded=True)
    if event.detail.get("stopped"):
        st.warning(f"**Partial search:** {md_escape(str(event.detail['stopped']), max_chars=800)}")
    if event.match_count is not None or event.matched_ids:
        count = event.match_count if event.match_count is not None else len(event.matched_ids)
        st.markdown(f"**Matches:** {count}")
        email_buttons(
            run, event.matched_ids[:MAX_MATCH_BUTTONS], key_prefix=f"replay_match_{event.seq}"
        )
        in_attachments = event.detail.get("attachment_ids") or []
        if in_attachments:
            st.caption(
                "Matched only in an attachment's text: "
                + ", ".join(md_escape(str(i)) for i in in_attachments[:MAX_MATCH_BUTTONS])
            )
    if event.llm is not None:
        record = event.llm
        cols = st.columns(4)
        cols[0].metric("Input tokens", f"{record.input_tokens:,}")
        cols[1].metric("Output tokens", f"{record.output_tokens:,}")
        known = record.cost_known and record.cost_usd is not None
        cols[2].metric("Cost", short_cost_text(record.cost_usd, known, digits=5))
        cols[3].metric("Latency", f"{record.latency_s:.2f} s")
        st.caption(
            f"model {md_escape(record.model)} · purpose {md_escape(record.purpose or 'n/a')} · "
            f"price {md_escape(record.price_source)} · SDK retries {record.retries}"
            + ("" if known else f" · cost {md_escape(unknown_reason(record.model))}")
        )
    if event.detail:
        with st.expander("Details"):
            st.json(event.detail, expanded=True)
    if event.prompt or event.reply:
        with st.expander("Prompt and reply (recorded)"):
            st.text(event.prompt or "")
            st.divider()
            st.text(event.reply or "")
