"""RLM Workbench: the Streamlit entry point (router and shared sidebar).

Run with `./run_ui.sh` or `python -m streamlit run ui/app.py`. This file only configures the
environment, initialises session state, declares the pages and draws the sidebar; each page
lives in `ui/app_pages/`, the logic in `ui/components/`.
"""

import sys
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent
if str(_REPO_ROOT) not in sys.path:  # `streamlit run ui/app.py` only puts ui/ on the path
    sys.path.insert(0, str(_REPO_ROOT))

from pipeline import zenml_env  # noqa: E402

zenml_env.configure()  # before anything imports zenml

import streamlit as st  # noqa: E402

from ui import auth, routes, run_store, state  # noqa: E402
from ui.components.email_viewer import render_open_email  # noqa: E402
from ui.components.run_context import render_sidebar_run  # noqa: E402
from ui.errors import page_guard  # noqa: E402

st.set_page_config(page_title="RLM Workbench", page_icon=":material/mail:", layout="wide")
state.init_state()
auth.require_access()  # a visitor who has not signed in sees only the sign-in form
run_store.warm_up()

page = st.navigation(
    [
        st.Page(
            routes.NEW_ANALYSIS, title="New analysis", icon=":material/add_circle:", default=True
        ),
        st.Page(routes.REPORT, title="Report", icon=":material/description:"),
        st.Page(routes.TRAJECTORIES, title="Trajectories", icon=":material/timeline:"),
        st.Page(routes.COST, title="Cost dashboard", icon=":material/payments:"),
        st.Page(routes.PEOPLE, title="People", icon=":material/hub:"),
        st.Page(routes.TIMELINE, title="Timeline", icon=":material/date_range:"),
        st.Page(routes.EVIDENCE, title="Evidence", icon=":material/push_pin:"),
        st.Page(routes.RUNS, title="Runs", icon=":material/history:"),
        st.Page(routes.EVALUATE, title="Evaluate", icon=":material/leaderboard:"),
    ]
)
with st.sidebar:
    st.markdown("### RLM Workbench")
    st.caption("Recursive-language-model analysis of email corpora")
    auth.render_account()
    with page_guard("the selected run"):
        render_sidebar_run()
st.session_state[state.CURRENT_PAGE] = page.url_path
page.run()
render_open_email()  # the email opened on this page, in its thread
