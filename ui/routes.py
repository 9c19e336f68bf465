"""Page files of the workbench, relative to ui/app.py (used by st.navigation and st.switch_page)."""

NEW_ANALYSIS = "app_pages/new_analysis.py"
REPORT = "app_pages/report.py"
TRAJECTORIES = "app_pages/trajectories.py"
COST = "app_pages/cost.py"
RUNS = "app_pages/runs.py"
EVALUATE = "app_pages/evaluate.py"
