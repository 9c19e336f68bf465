"""`pipeline.metadata.unpack`: packed writes read back as fields, runs recorded with flat keys too."""

from __future__ import annotations

from pipeline.metadata import CHUNK_KEY, RUN_KEY, TOTALS_KEY, unpack


def test_packed_fields_are_merged_over_flat_ones_in_key_order() -> None:
    metadata = {
        RUN_KEY: {"query": "q", "updated_at": "start"},
        TOTALS_KEY: {"llm_calls": 7, "updated_at": "end"},
        "query": "older flat value",
    }
    fields = unpack(metadata, RUN_KEY, TOTALS_KEY)
    assert fields["query"] == "q" and fields["llm_calls"] == 7 and fields["updated_at"] == "end"


def test_flat_metadata_of_older_runs_reads_unchanged() -> None:
    flat = {"status": "done", "llm_calls": 3}
    assert unpack(flat, CHUNK_KEY) == flat
    assert unpack(None, CHUNK_KEY) == {}
    assert unpack({CHUNK_KEY: "not a dict", "size": 4}, CHUNK_KEY)["size"] == 4
