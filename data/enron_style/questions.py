"""The eight analyst questions of the Enron-style check set, with reference answers and the story
keys of the emails an analyst would cite (resolved to "es-NNN" ids by `data.enron_style.build`).

Questions paraphrase rather than quote the emails. The set is a held-out check only: it is never
used to choose ranking parameters.
"""

from __future__ import annotations

QUESTION_SPECS: list[dict] = [
    {
        "id": "e01",
        "kind": "needle",
        "question": "How much of his own money did the finance executive who runs the "
        "partnership put into it, and what return was he promised?",
        "answer": "Neil Straub committed $1.5MM of his own money to Lantern Ridge's general "
        "partner (wired November 24, 2000); the partnership agreement was to give him a 25% "
        "annual preferred return on the GP capital ahead of any distribution to the limited "
        "partners, plus a 2% management fee.",
        "relevant": ["lr_personal"],
    },
    {
        "id": "e02",
        "kind": "multi_hop",
        "question": "Who signed off on the deal in which the partnership managed by our finance "
        "VP bought into the Marisol project, and what did the partnership pay?",
        "answer": "Lantern Ridge Partners paid $62MM cash for 49% of Marisol Holdings (term "
        "sheet of November 6, 2000). Chief accounting officer Ray Delacroix signed the deal "
        "approval sheet on November 14, CFO Marcus Fenwick signed on November 15 and CEO Gordon "
        "Tillery cleared it to close on November 17. Beforehand, on October 30, 2000, the "
        "board (on the Finance Committee's recommendation of October 23) had waived the Code of "
        "Conduct so that Neil Straub could run and invest in the partnership.",
        "relevant": ["lr_terms", "lr_ray", "lr_marcus", "lr_gordon", "lr_board"],
    },
    {
        "id": "e03",
        "kind": "multi_hop",
        "question": "What did the Marisol write-down end up costing us through the commitment "
        "we had given the partnership that bought into the project?",
        "answer": "A December 1, 2000 letter agreement, kept out of the purchase agreement and "
        "the deal approval sheet, committed Sabine Crest to pay Lantern Ridge any shortfall if "
        "its 49% Marisol interest fell below the $62MM price. The third-quarter 2001 impairment "
        "wrote Marisol down by $187MM (October 4, 2001); the outside auditor said on October 8 "
        "that the obligation had to be recognised as a liability; Ray Delacroix valued LRP's "
        "stake at about $21MM, so $41MM is owed to LRP and accrued in Q3 on top of the $187MM, "
        "and the auditor wants the $18MM gain on the 2000 sale reversed.",
        "relevant": ["lr_sideletter", "ms_writedown", "ms_auditor", "ms_makewhole"],
    },
    {
        "id": "e04",
        "kind": "aggregation",
        "question": "How much did the West power desk earn in each month from December 2000 "
        "through March 2001, and what do the four months add up to?",
        "answer": "December $31.4MM, January $41.7MM (final figure, revised down from a $44.0MM "
        "flash), February $27.9MM and March $12.6MM: $113.6MM over the four months.",
        "relevant": ["pnl_dec", "pnl_jan_final", "pnl_feb", "pnl_mar"],
    },
    {
        "id": "e05",
        "kind": "aggregation",
        "question": "How far over budget did the Marisol plant go, item by item, and what is "
        "the overrun in total?",
        "answer": "Against a $410MM budget: the late turbines added $38MM (January 17, 2001), "
        "rerouting the pipeline lateral $22MM (March 22) and the customs and import tariff "
        "settlement $15MM (May 30): $75MM over budget in total.",
        "relevant": ["ms_budget", "ms_turbine", "ms_pipeline", "ms_customs"],
    },
    {
        "id": "e06",
        "kind": "aggregation",
        "question": "After we demanded collateral from Tolliver, what security did they give "
        "us and what did it come to altogether?",
        "answer": "Against the $25MM demand of January 8, 2001: a $10MM standby letter of "
        "credit (received January 19), $6MM of cash collateral (January 26) and a $15MM parent "
        "guaranty from Tolliver Holdings (February 2): $31MM in all, $16MM of it cash or letter "
        "of credit.",
        "relevant": ["tv_demand", "tv_lc", "tv_cash", "tv_guarantee"],
    },
    {
        "id": "e07",
        "kind": "timeline",
        "question": "Trace the West desk's risk-limit trouble over the winter: when did it first "
        "go over, what was done about it and by whom, and when was it back to normal?",
        "answer": "December 12, 2000: West Power VaR $18.3MM against its $15MM limit, the first "
        "excess of the year. December 15: Dale Kimura, still over, asked for a temporary limit "
        "of $25MM through January 31. December 18: CEO Gordon Tillery granted $22MM through "
        "January 31, reverting to $15MM on February 1. January 24, 2001: a second excess, "
        "$23.9MM over the temporary $22MM. February 1: the temporary limit expired and the "
        "limit was back to $15MM, with the desk at $13.2MM.",
        "relevant": ["var_breach", "var_request", "var_approval", "var_second", "var_restored"],
    },
    {
        "id": "e08",
        "kind": "timeline",
        "question": "How did the Tolliver Valley credit problem develop, from the first worries "
        "to the bankruptcy and what it cost us?",
        "answer": "November 29, 2000: exposure $38MM of a $50MM line, put on the watch list. "
        "January 4, 2001: downgraded below investment grade, which triggered the collateral "
        "clause. January 8: $25MM collateral demand with exposure at $71.3MM. January 19: $10MM "
        "letter of credit; January 26: $6MM cash; February 2: $15MM parent guaranty. February 9: "
        "the $19.4MM payment due February 7 was missed, trading stopped and the letter of "
        "credit drawn. April 6: Chapter 11, net claim $54.2MM. A $30MM reserve was booked in Q1.",
        "relevant": [
            "tv_watch",
            "tv_downgrade",
            "tv_demand",
            "tv_lc",
            "tv_cash",
            "tv_guarantee",
            "tv_suspend",
            "tv_ch11",
            "tv_reserve",
        ],
    },
]
