"""The LLM fault matrix as a Markdown table: 6 fault kinds x 3 rates, each cell a whole run at
loop level (decomposition, 3 chunk loops, aggregate) through the real SDK against the loopback
server. The same cells are asserted by tests/reliability/test_llm_faults.py.

Columns: chunks ok/failed; LLM calls (model calls made, each possibly retried); HTTP requests the
server saw; faults the server injected; SDK retries recorded in LLMCallRecord.retries; calls that
ended with an error; `error` events in the chunk trajectories; whether a report was produced.

    python -m tests.bench.fault_matrix [--seed 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from tests.reliability.faults import FAULT_SEED, all_cells, markdown_table, run_fault_cell


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=FAULT_SEED, help="fault-draw seed")
    parser.add_argument("--json", action="store_true", help="print rows as JSON instead")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the loop logs every injected fault as a warning
    rows = []
    started = time.perf_counter()
    for kind, rate in all_cells():
        cell_started = time.perf_counter()
        row = run_fault_cell(kind, rate, seed=args.seed).row()
        row["seconds"] = round(time.perf_counter() - cell_started, 2)
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(markdown_table(rows))
    survived = sum(r["report"] and r["chunks_failed"] == 0 for r in rows)
    print(
        f"\n{survived}/{len(rows)} cells completed with a report and no lost chunk; "
        f"{sum(r['faults_injected'] for r in rows)} faults injected, "
        f"{sum(r['retries'] for r in rows)} SDK retries, "
        f"{sum(r['errors_recorded'] for r in rows)} calls ended in a recorded error "
        f"({time.perf_counter() - started:.1f}s, seed {args.seed})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
