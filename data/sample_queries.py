"""Labelled analyst questions over the Northwind sample, with evidence named by story key.

``data.build_sample`` resolves the story keys (``lk01``...) to the email ids it assigns and writes
``data/queries.json``. Relevant keys are only the emails that really carry the evidence.
"""

from __future__ import annotations

QUERY_SPECS: list[dict] = [
    {
        "id": "q01",
        "kind": "needle",
        "question": "What wall loss did the first ultrasonic survey find on the Lakeside MV-7 valve, and what did the engineer recommend?",
        "answer": "38% wall loss (external corrosion under insulation), found by Carlos Ibarra on March 14, 2023; he recommended replacing MV-7 within 90 days (about $180k and a 3-day outage).",
        "relevant": ["lk01", "lk02"],
    },
    {
        "id": "q02",
        "kind": "needle",
        "question": "To which outside address was the key accounts pricing spreadsheet sent, and how many customer records were in it?",
        "answer": "Derek Lund forwarded KeyAccounts_Pricing_FY24.xlsx to his personal address derek.lund.home@mailbox.example on July 8, 2024; it held 212 customer records.",
        "relevant": ["dl03", "dl04", "dl05"],
    },
    {
        "id": "q03",
        "kind": "needle",
        "question": "On what terms did Northwind secretly promise to buy back the Ravenwood interest?",
        "answer": "A side letter signed by CFO Diane Whitaker on June 28, 2023 committed Northwind to repurchase the interest at cost plus 12%, exercisable on or after March 31, 2025.",
        "relevant": ["rv07", "au07"],
    },
    {
        "id": "q04",
        "kind": "needle",
        "question": "How much did Project Ricochet make in July 2023, and how did the CFO react?",
        "answer": "$6.2M of the West desk's record $9.8M July; Diane Whitaker replied 'keep it going, and keep it quiet'.",
        "relevant": ["rc05", "rc06"],
    },
    {
        "id": "q05",
        "kind": "needle",
        "question": "What NRC report number was given when PHMSA was notified about the Lakeside fire?",
        "answer": "NRC report #1389924, notified at 08:15 on January 17, 2024.",
        "relevant": ["lk10"],
    },
    {
        "id": "q06",
        "kind": "multi_hop",
        "question": "Who is behind Ravenwood LLC, and what was their earlier connection to Northwind?",
        "answer": "Vince Arlen, Ravenwood's managing member, a former Northwind assistant treasurer who left in 2021; the relationship was not disclosed as a related party.",
        "relevant": ["rv01", "rv02", "au07"],
    },
    {
        "id": "q07",
        "kind": "multi_hop",
        "question": "Who decided to defer the Lakeside valve replacement, and what reasons were given each time?",
        "answer": "Hugo Stein (Director, Gulf Region Operations): in March 2023 because discretionary capex was frozen and an outage would cost sold throughput (moved to the 2024 plan); in August 2023 he refused the 20% pressure cut (about $40k/day lost throughput) and kept the replacement for April 2024.",
        "relevant": ["lk03", "lk04", "lk07"],
    },
    {
        "id": "q08",
        "kind": "multi_hop",
        "question": "Which compliance officer objected to the West desk's export and re-import schedules, and what did the desk head tell his traders afterwards?",
        "answer": "Mei Tanaka asked on September 12, 2023 to pause the schedules as possible market manipulation; the next day Jake Morrow told the traders to stop writing 'Ricochet', call it 'the West wheel', delete the spreadsheets, and keep running it at smaller volumes.",
        "relevant": ["rc07", "rc08", "rc09"],
    },
    {
        "id": "q09",
        "kind": "multi_hop",
        "question": "Who became interim CFO after Diane Whitaker left, and what had internal audit found shortly before her resignation?",
        "answer": "Holly Chambers, the Treasurer. On May 29, 2024 internal audit (IA-2024-07) reported an undisclosed side letter signed by Whitaker and $71M of 2023 Ravenwood revenue that should not have been recognised.",
        "relevant": ["au07", "au09", "au10"],
    },
    {
        "id": "q10",
        "kind": "multi_hop",
        "question": "What did the Controller tell the external auditors about side letters on the Ravenwood deal, and was it true?",
        "answer": "On July 20, 2023 Paul Okafor told Baker Hale that the PSA was the complete agreement with no side letters; false, since Diane Whitaker had signed a repurchase side letter on June 28, 2023.",
        "relevant": ["rv07", "rv10", "au07"],
    },
    {
        "id": "q11",
        "kind": "aggregation",
        "question": "How much revenue did Northwind recognise from the Ravenwood transactions in 2023 in total?",
        "answer": "$71M: $48M in Q2 (June 2023, 40% interest) plus $23M in Q4 (December 2023, further 20%).",
        "relevant": ["rv04", "rv05", "rv11", "rv12", "au07"],
    },
    {
        "id": "q12",
        "kind": "aggregation",
        "question": "How much did Project Ricochet (later called the West wheel) earn, month by month and in total?",
        "answer": "June 2023 $2.1M, July $6.2M, August $4.9M, September $1.6M: about $14.8M in total.",
        "relevant": ["rc04", "rc05", "rc10", "rc11"],
    },
    {
        "id": "q13",
        "kind": "aggregation",
        "question": "Who took part in Project Ricochet and what was each person's role?",
        "answer": "Jake Morrow (head of West Power Trading, devised it), Leo Santos (ran the book), Tyler Gunn (deal entry) and Raj Mehta (tags and transmission paths).",
        "relevant": ["rc01", "rc02", "rc03"],
    },
    {
        "id": "q14",
        "kind": "aggregation",
        "question": "How many positions did the Project Cedar layoff eliminate, broken down by department, and what did it cost?",
        "answer": "140 positions (about 12% of headcount): 85 Field Operations, 35 corporate/back office, 20 IT; about $9.4M in severance and benefits.",
        "relevant": ["cd03", "cd04", "cd09"],
    },
    {
        "id": "q15",
        "kind": "timeline",
        "question": "When did engineers first warn about the Lakeside valve, who was told, and how did the warnings escalate before the incident?",
        "answer": "March 14, 2023 Carlos Ibarra to Janet Price (cc Doug Pratt), forwarded to Hugo Stein March 15, deferred March 20; August 22, 2023 repeat survey 52% to Janet and Hugo (cc Aisha Bello); August 23 Aisha asked for a pressure cut and escalation; August 24 Hugo refused; January 17, 2024 gas release and fire, two injured.",
        "relevant": ["lk01", "lk02", "lk03", "lk05", "lk06", "lk07", "lk09"],
    },
    {
        "id": "q16",
        "kind": "timeline",
        "question": "Trace Project Cedar from the first planning email to the layoffs taking effect.",
        "answer": "Oct 17, 2023 CEO starts Cedar ($38M cost target); Oct 30 first pass 160 positions; Nov 20 revised to 140; Dec 5 CFO asks for a February announcement so the charge lands in Q1; Jan 22, 2024 announcement plan; Feb 6, 2024 announced at all-hands; separations effective April 5, 2024.",
        "relevant": ["cd01", "cd02", "cd03", "cd05", "cd08", "cd09", "cd12"],
    },
    {
        "id": "q17",
        "kind": "timeline",
        "question": "In what order did the events around the CFO's departure happen: the hotline report, the internal audit, its findings, the resignation and the interim appointment?",
        "answer": "Feb 20, 2024 hotline report 2024-0031; Mar 4 internal audit IA-2024-07 opened; May 29 preliminary findings; June 10 special Audit Committee session; June 14 Diane Whitaker resigns (effective June 30); June 17 Holly Chambers named interim CFO.",
        "relevant": ["au01", "au02", "au07", "au08", "au09", "au10"],
    },
    {
        "id": "q18",
        "kind": "timeline",
        "question": "When was the customer pricing leak detected, and what did the company do in the following days?",
        "answer": "Forwarded July 8, 2024; DLP alert July 9 at 06:02 and escalation to Legal and HR; July 10 accounts disabled and laptop collected; July 11 demand letter to Derek Lund; July 17 letter to Gulfstar Power and a TRO being prepared.",
        "relevant": ["dl04", "dl05", "dl07", "dl08", "dl09"],
    },
]
