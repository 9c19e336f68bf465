"""The four storylines of the Enron-style check set, each told across many emails.

- West desk: the West power desk's monthly results through the California winter and its
  value-at-risk limit (breach, temporary increase, second breach, back to normal).
- Lantern Ridge: the partnership run by the finance VP that bought half of the Marisol project,
  who approved it, and the side letter that promised to make it whole.
- Tolliver: a California utility counterparty's slide from a watched credit to bankruptcy.
- Marisol: the overseas plant's cost overruns and its write-down, which triggers the side letter.
"""

from __future__ import annotations

from data.enron_style.drafts import Draft

D = Draft

WEST_DESK = [
    D(
        "var_breach",
        "2000-12-12 07:48",
        "ortiz",
        ("kimura",),
        "WEST POWER VAR - 12/11 CLOSE",
        "Dale,\n\nFlagging this before the morning meeting. On last night's close the West Power "
        "book shows a 95% one-day VaR of $18.3MM against the desk limit of $15.0MM. That is the "
        "first time West has been over its limit this year. Most of it is the Q1-01 Palo Verde and "
        "COB on-peak length you added Friday and Monday.\n\nPer the risk policy I have to report "
        "the excess to Helen; the desk needs to be back under the limit or have an approved "
        "temporary increase within 3 business days.\n\nLena Ortiz\nMarket Risk Group\nx3-6271",
        cc=("vasquez",),
    ),
    D(
        "var_request",
        "2000-12-15 16:05",
        "kimura",
        ("vasquez",),
        "RE: WEST POWER VAR - 12/11 CLOSE",
        "Helen -\n\nWe are still over (16.9 last night). I don't want to dump Q1 length into this "
        "market, prices are moving $50+ a day and we would be giving it away. Asking for a "
        "temporary increase of the West VaR limit to $25MM through Jan 31, then we roll off "
        "naturally as Jan settles. Can you take this to Gordon?\n\nDale",
        cc=("tillery", "ortiz"),
        reply="var_breach",
    ),
    D(
        "var_approval",
        "2000-12-18 09:32",
        "tillery",
        ("vasquez", "kimura"),
        "RE: RE: WEST POWER VAR - 12/11 CLOSE",
        "I'm ok with a temporary increase but not to 25. Make it $22MM, good through 1/31/01, and "
        "it reverts to 15 automatically on Feb 1. Helen, please paper it.\n\nG.",
        reply="var_request",
    ),
    D(
        "var_thanks",
        "2000-12-18 09:41",
        "kimura",
        ("tillery",),
        "RE: RE: RE: WEST POWER VAR - 12/11 CLOSE",
        "thanks Gordon. will manage to it.",
        reply="var_approval",
        headers=False,
    ),
    D(
        "pnl_dec",
        "2001-01-03 18:22",
        "ortiz",
        ("kimura",),
        "West Power - December final",
        "Dale,\n\nDecember is final. West Power net trading margin for the month: $31.4MM "
        "(flash was 30.8; difference is the Mid-C transmission true-up). Detail by book is in the "
        "usual spreadsheet on the O: drive.\n\nLena",
        cc=("dunn",),
    ),
    D(
        "var_second",
        "2001-01-24 07:55",
        "ortiz",
        ("vasquez", "kimura"),
        "West VaR excess again - 1/23 close",
        "Helen, Dale,\n\nWest Power VaR on the 1/23 close is $23.9MM, over the temporary $22MM "
        "limit that runs to 1/31. Driver is the Feb-Mar SP-15 length plus the vol update "
        "(implied vols on SP-15 went from 110% to 160% last week).\n\nLena",
    ),
    D(
        "var_restored",
        "2001-02-01 08:40",
        "vasquez",
        ("kimura", "tillery"),
        "West Power limit",
        "All,\n\nThe temporary West Power VaR limit expired last night. From today the limit is "
        "back to $15MM. On the 1/31 close West was at $13.2MM, so the desk is inside the normal "
        "limit. Thanks Dale for getting it down.\n\nHelen",
        cc=("ortiz",),
    ),
    D(
        "pnl_jan_flash",
        "2001-02-02 17:50",
        "ortiz",
        ("kimura",),
        "January flash P&L - West",
        "Dale,\n\nJanuary flash for West Power: $44.0MM net margin. Largest contributors were the "
        "SP-15 and Palo Verde dailies. Accounting will finalise after the ISO settlement "
        "statements come in.\n\nLena",
    ),
    D(
        "pnl_jan_final",
        "2001-02-14 14:03",
        "dunn",
        ("kimura", "ortiz"),
        "RE: January flash P&L - West",
        "Dale, Lena -\n\nJanuary is final for West Power at $41.7MM, down $2.3MM from the $44.0MM "
        "flash. The difference is the CAISO scheduling true-up on the Jan 17-19 emergency hours "
        "that we had at the wrong price in the flash.\n\nCarla Dunn\nTrading Accounting",
        reply="pnl_jan_flash",
    ),
    D(
        "pnl_feb",
        "2001-03-02 10:12",
        "kimura",
        ("tillery",),
        "RE: west numbers",
        "Gordon - Feb came in at $27.9MM for West power. lower then Dec/Jan, the price cap talk "
        "took the vol out of the back half of the month. Dale",
        cc=("vasquez",),
        reply=None,
    ),
    D(
        "pnl_mar",
        "2001-04-03 16:40",
        "ortiz",
        ("kimura", "dunn"),
        "March close - West Power",
        "Dale,\n\nMarch is closed: West Power net trading margin $12.6MM for the month. Gas-fired "
        "spreads narrowed after mid-month. Q1 total is in the quarterly pack.\n\nLena",
    ),
]

LANTERN_RIDGE = [
    D(
        "lr_board",
        "2000-10-30 15:20",
        "kell",
        ("fenwick", "straub"),
        "Board action - Code of Conduct waiver",
        "Marcus, Neil,\n\nFor your files. Excerpt from today's board minutes:\n\n\"Upon the "
        "recommendation of the Finance Committee (H. Benning, chair), which met on October 23, "
        "2000, the Board RESOLVED that the Company's Code of Conduct be waived to permit Neil "
        "Straub, Vice President, Finance, to serve as managing member of the general partner of "
        "Lantern Ridge Partners, L.P. and to invest in it, it being found that such participation "
        'will not adversely affect the interests of the Company."\n\nThe full minutes will go out '
        "after Mr. Benning signs them.\n\nMartha Kell\nCorporate Secretary",
    ),
    D(
        "lr_terms",
        "2000-11-06 18:47",
        "straub",
        ("fenwick",),
        "Marisol sell-down - LRP term sheet",
        "Marcus,\n\nAttached is the term sheet for the Marisol sell-down. Headlines:\n\n- Lantern "
        "Ridge Partners buys 49% of Marisol Holdings Ltd. from us for $62 million cash\n- LRP funds "
        "it with $3MM of equity and a $59MM bank facility\n- we keep 51% and operating control, but "
        "with 49% out Marisol comes off our consolidated balance sheet\n- we book a gain of about "
        "$18MM on the sale in Q4\n\nWe need to close before 12/1 to get it into the year. The "
        "DASH is routing now; Ray is first.\n\nNeil",
        cc=("delacroix",),
    ),
    D(
        "lr_ray",
        "2000-11-14 10:15",
        "delacroix",
        ("straub", "fenwick"),
        "RE: Marisol sell-down - LRP term sheet",
        "Neil,\n\nI signed the DASH for the LRP / Marisol deal this morning, accounting section. "
        "My sign-off assumes the sale is at fair value with no guarantee from us back to LRP - "
        "if there is any side arrangement I need to see it before year end.\n\nMarcus, it's on "
        "your desk.\n\nRay",
        reply="lr_terms",
    ),
    D(
        "lr_marcus",
        "2000-11-15 08:02",
        "fenwick",
        ("straub", "delacroix"),
        "RE: RE: Marisol sell-down - LRP term sheet",
        "signed. Neil, get Gordon's sign off today if you can.",
        reply="lr_ray",
    ),
    D(
        "lr_gordon",
        "2000-11-17 13:36",
        "tillery",
        ("straub",),
        "RE: Marisol / LRP",
        "Neil - Read the summary and the DASH. I'm good with it, go ahead and close. Gordon",
        cc=("fenwick",),
        headers=False,
    ),
    D(
        "lr_personal",
        "2000-11-20 21:10",
        "straub",
        ("carver",),
        "LRP GP docs",
        "Dwight,\n\nComments on the GP agreement below. On my own money: my commitment to the "
        "general partner is $1.5MM, wired from my personal account on the 24th. The LPA has to "
        "reflect what we agreed, a 25% annual preferred return on the GP capital before any "
        "distribution to the limited partners, plus the 2% management fee.\n\nPlease keep this "
        "off the company email going forward, use my home address.\n\nNeil",
    ),
    D(
        "lr_sideletter",
        "2000-12-01 11:30",
        "oyelaran",
        ("straub", "fenwick"),
        "LRP letter agreement - final",
        "Neil, Marcus,\n\nThe letter agreement with Lantern Ridge is signed and in my files. In "
        "short: if the value of LRP's 49% Marisol interest falls below the $62MM purchase price "
        "at any quarter end, Sabine Crest will pay LRP the shortfall in cash or in Sabine Crest "
        "stock, at our choice. As you asked, the letter is not referred to in the purchase "
        "agreement and was not attached to the DASH.\n\nI would be more comfortable if Ray and the "
        "auditors knew about it.\n\nSusan Oyelaran\nSenior Counsel",
    ),
]

TOLLIVER = [
    D(
        "tv_watch",
        "2000-11-29 09:05",
        "ambrose",
        ("natarajan",),
        "Tolliver Valley exposure",
        "Priya,\n\nTolliver Valley Power is at $38MM of exposure against the $50MM line, most of "
        "it West power sales for Dec-Feb. Their retail rates are frozen while their purchase costs "
        "are 4x last year, so I'd like to put them on teh watch list and review weekly.\n\nKyle",
    ),
    D(
        "tv_downgrade",
        "2001-01-05 08:20",
        "natarajan",
        ("ambrose", "kimura"),
        "FW: Tolliver cut to junk",
        "This takes them below BBB- and triggers the collateral threshold in our master agreement "
        "(threshold drops to zero on a sub-investment-grade rating). Kyle, run exposure as of "
        "last night. Dale, FYI.\n\nPriya",
        forward="tv_news",
    ),
    D(
        "tv_demand",
        "2001-01-08 15:44",
        "natarajan",
        ("pruett",),
        "Sabine Crest - collateral demand",
        "Gary,\n\nFollowing the rating action on January 4, under Section 8.2 of the master "
        "agreement Sabine Crest demands performance assurance of $25,000,000, in cash or a letter "
        "of credit acceptable to us, within two business days. Our exposure to Tolliver Valley as "
        "of January 5 is $71.3MM.\n\nRegards,\nPriya Natarajan\nDirector, Credit Risk",
        cc=("oyelaran", "ambrose"),
    ),
    D(
        "tv_pruett",
        "2001-01-09 17:02",
        "pruett",
        ("natarajan",),
        "RE: Sabine Crest - collateral demand",
        "Priya - we got it. We cannot do 25 in two days, nobody can right now. Working with our "
        "banks on an LC for part of it. Will call you tomorrow. Gary",
        reply="tv_demand",
    ),
    D(
        "tv_lc",
        "2001-01-19 10:30",
        "ambrose",
        ("natarajan",),
        "Tolliver LC received",
        "Priya,\n\nWe received the standby letter of credit from Tolliver this morning: $10MM, "
        "issued by Pacific Coast Trust, expiry 6/30/01. Original is in the vault. Still short $15MM "
        "on the demand.\n\nKyle",
    ),
    D(
        "tv_cash",
        "2001-01-26 14:12",
        "ambrose",
        ("natarajan", "dunn"),
        "Tolliver wire",
        "FYI - $6,000,000 cash collateral from Tolliver Valley hit our account today. Carla "
        "please book as collateral held, not as payment on the receivable. Kyle",
    ),
    D(
        "tv_guarantee",
        "2001-02-02 16:48",
        "oyelaran",
        ("natarajan",),
        "Tolliver Holdings guaranty",
        "Priya - the parent guaranty from Tolliver Holdings Inc. is executed, capped at $15MM, "
        "covering Tolliver Valley's obligations under the master. Copy attached. Susan",
    ),
    D(
        "tv_suspend",
        "2001-02-09 08:15",
        "natarajan",
        ("kimura", "russo", "sallinger"),
        "Tolliver - stop trading",
        "All,\n\nTolliver Valley did not pay the $19.4MM due February 7 for January deliveries. "
        "Effective immediately NO new transactions with Tolliver Valley Power, any product, any "
        "tenor. We are drawing on their letter of credit today.\n\nPriya",
        cc=("fenwick", "oyelaran"),
    ),
    D(
        "tv_ch11",
        "2001-04-06 12:01",
        "oyelaran",
        ("natarajan", "fenwick"),
        "Tolliver Valley - Chapter 11",
        "Marcus, Priya,\n\nTolliver Valley Power filed for Chapter 11 this morning in San "
        "Francisco. Our net claim is $54.2MM after applying the $10MM letter of credit draw and "
        "the $6MM cash collateral. We will pursue the $15MM guaranty from Tolliver Holdings "
        "separately; it is not in the bankruptcy estate.\n\nSusan",
    ),
    D(
        "tv_reserve",
        "2001-04-12 19:30",
        "fenwick",
        ("delacroix",),
        "RE: Tolliver Valley - Chapter 11",
        "Ray - book a $30MM reserve against the Tolliver receivable in Q1. We'll explain it on "
        "the call. Marcus",
        cc=("natarajan",),
        reply="tv_ch11",
    ),
]

MARISOL = [
    D(
        "ms_budget",
        "2000-12-07 11:00",
        "harlow",
        ("brennan",),
        "Marisol - 2001 plan",
        "Walt,\n\nFor the plan book: Marisol total project budget stays at $410MM (EPC $318MM, "
        "pipeline lateral $41MM, owner's costs and contingency $51MM). COD target is 3Q01.\n\n"
        "Denise Harlow\nProject Controls, International",
    ),
    D(
        "ms_turbine",
        "2001-01-17 15:25",
        "harlow",
        ("brennan",),
        "MARISOL TURBINES",
        "Walt,\n\nThe turbine vendor confirmed the two units ship 14 weeks late. Standby crew, "
        "extended construction insurance and the EPC claim add $38MM to the project cost. COD "
        "moves to 1Q02.\n\nDenise",
        cc=("delacroix",),
    ),
    D(
        "ms_pipeline",
        "2001-03-22 09:50",
        "brennan",
        ("fenwick",),
        "Marisol - lateral reroute",
        "Marcus,\n\nThe ministry would not permit the lateral through the wetland, so we are "
        "rerouting 11 km around it. Denise's estimate is another $22MM on top of budget. No COD "
        "impact if we start in April.\n\nWalt",
        cc=("harlow",),
    ),
    D(
        "ms_customs",
        "2001-05-30 17:14",
        "harlow",
        ("brennan", "delacroix"),
        "Marisol customs settlement",
        "Walt, Ray,\n\nWe settled the customs and import tariff dispute on the turbine and "
        "transformer shipments. Cost to the project is $15MM, paid in June. That is one more "
        "overrun item beyond budget.\n\nDenise",
    ),
    D(
        "ms_writedown",
        "2001-10-04 08:30",
        "delacroix",
        ("fenwick", "tillery"),
        "Marisol impairment - Q3",
        "Marcus, Gordon,\n\nWith the power purchase agreement in arbitration and no payment from "
        "the state utility since May, the impairment test on Marisol fails. We will write down "
        "the Marisol carrying value by $187MM in the third quarter.\n\nRay",
    ),
    D(
        "ms_auditor",
        "2001-10-08 16:20",
        "hollis",
        ("delacroix",),
        "Marisol / Lantern Ridge",
        "Ray,\n\nWe were given the December 1, 2000 letter agreement with Lantern Ridge "
        "yesterday. It obliges Sabine Crest to make LRP whole for any fall in value of its 49% "
        "Marisol interest. With the impairment, that obligation has to be recognised as a liability "
        "this quarter, and we need to discuss whether the 2000 sale qualified for "
        "deconsolidation at all.\n\nJerry Hollis\nWhitcomb Lyle LLP",
        cc=("fenwick",),
    ),
    D(
        "ms_makewhole",
        "2001-10-10 13:05",
        "delacroix",
        ("fenwick", "tillery"),
        "RE: Marisol / Lantern Ridge",
        "Marcus, Gordon,\n\nThe numbers on the LRP letter: LRP's 49% is worth about $21MM after "
        "the impairment against the $62MM they paid, so we owe LRP $41MM under the letter. We "
        "will accrue it in Q3 in addition to the $187MM. Jerry also wants the $18MM gain from "
        "the 2000 sale reversed; that is a restatement discussion for next week.\n\nI signed that "
        "DASH on the understanding there was no guarantee back to LRP.\n\nRay",
        cc=("hollis",),
        reply="ms_auditor",
    ),
]

STORIES = WEST_DESK + LANTERN_RIDGE + TOLLIVER + MARISOL
