"""The background of the Enron-style check set: routine office mail, newsletters with unsubscribe
footers, forwarded news, and near misses that share the storylines' vocabulary (another desk's
P&L, another counterparty's letter of credit, a partial Marisol summary) without answering the
questions.
"""

from __future__ import annotations

from data.enron_style.drafts import Draft

D = Draft

_UNSUBSCRIBE = (
    "\n\n____________________________________________\nYou are receiving this because you "
    "subscribed at energywire.example. To unsubscribe reply with REMOVE in the subject line.\n"
    "(c) 2000-2001 EnergyWire Publishing. Redistribution prohibited."
)
_PMW_FOOTER = (
    "\n\n--\nPower Markets Weekly is sent to subscribers only. Manage your subscription or "
    "unsubscribe at http://www.powermarketsweekly.example/subscribe"
)

BACKGROUND = [
    D(
        "bg_it_notes",
        "2000-11-02 07:30",
        "it",
        ("kimura", "russo", "sallinger", "ortiz"),
        "ACTION REQUIRED: Notes mailbox size",
        "Your mailbox is over the 100 MB quota. Please archive or delete messages older than 90 "
        "days by Friday 11/10. Mailboxes over quota after that date will not be able to send "
        "mail.\n\nInstructions are on the IT home page under Notes > Archiving. Call x3-1411 with "
        "questions.\n\nIT Help Desk",
    ),
    D(
        "bg_ff_week9",
        "2000-11-06 10:02",
        "boyle",
        ("russo", "sallinger", "kimura", "ambrose"),
        "FANTASY FOOTBALL - WEEK 9",
        "standings after week 9:\n\n1. Sallinger's Sackmasters 7-2\n2. Kyle's Krushers 6-3\n3. "
        "Russo Muscle 5-4\n4. Dale's Dawgs 4-5\n5. Boyle Over 2-7\n\nhigh score of the week "
        "Sackmasters 121 pts. Russo, you left Edge in on a bye week again. trades due by "
        "thursday noon.\n\nJB",
    ),
    D(
        "bg_ff_reply",
        "2000-11-06 10:15",
        "russo",
        ("boyle",),
        "RE: FANTASY FOOTBALL - WEEK 9",
        "my team is cursed. dont start.",
        reply="bg_ff_week9",
    ),
    D(
        "bg_unitedway",
        "2000-11-13 08:00",
        "hr",
        ("kimura", "natarajan", "harlow", "ortiz"),
        "United Way 2000 campaign",
        "Sabine Crest's United Way campaign runs through November 30. This year the company will "
        "match every employee pledge dollar for dollar. Pledge cards are at the 3rd floor "
        "reception or online on the HR site.\n\nThank you for your generosity!\nHR Communications",
    ),
    D(
        "bg_benefits",
        "2000-11-15 09:00",
        "hr",
        ("russo", "sallinger", "ambrose", "dunn"),
        "Reminder: Benefits Open Enrollment ends 11/22",
        "Open enrollment for 2001 medical, dental and vision coverage ends Wednesday, November "
        "22. If you do not make an election your 2000 coverage carries over, except flexible "
        "spending accounts, which must be re-elected every year.\n\nHR Communications",
    ),
    D(
        "bg_energywire_dec",
        "2000-12-05 06:15",
        "energywire",
        ("kimura", "natarajan"),
        "EnergyWire Daily - Dec 5, 2000",
        "TODAY'S HEADLINES\n\n* California ISO declares Stage 2 emergency as reserves fall below "
        "5%; real-time prices top $900/MWh in the afternoon hours.\n* FERC staff report on western "
        "markets due next week; commissioners split over price caps.\n* Utility credit under "
        "strain: analysts question how long California's investor-owned utilities can keep "
        "buying power at wholesale prices above their frozen retail rates. Tolliver Valley Power "
        "shares fell 12% on the week.\n* Natural gas at the California border trades above "
        "$30/MMBtu.\n* People: Midwest co-op names new chief executive." + _UNSUBSCRIBE,
    ),
    D(
        "bg_holiday",
        "2000-12-08 14:00",
        "corpcomm",
        ("kimura", "russo", "natarajan", "harlow"),
        "You're invited - 2000 Holiday Party",
        "Join us Saturday, December 16, 7 pm at the Hyatt Regency ballroom. Spouses and guests "
        "welcome. Shuttles run from the Smith St. garage every 20 minutes starting at 6:30.\n\n"
        "RSVP to Corporate Communications by December 11.",
    ),
    D(
        "bg_staff_move",
        "2000-12-11 16:30",
        "kimura",
        ("russo", "sallinger", "ortiz"),
        "West desk meeting moved",
        "moving this week's desk meeting to Thursday 3:00, 33rd floor small conf room. bring "
        "your Q1 views. Dale",
    ),
    D(
        "bg_staff_move_re",
        "2000-12-11 16:44",
        "sallinger",
        ("kimura",),
        "RE: West desk meeting moved",
        "works for me",
        reply="bg_staff_move",
    ),
    D(
        "tv_news",
        "2001-01-04 17:35",
        "energywire",
        ("natarajan", "kimura"),
        "EnergyWire ALERT: Tolliver Valley cut to junk",
        "EnergyWire Daily - Breaking\n\nTOLLIVER VALLEY CUT TO JUNK AS POWER COSTS MOUNT\n\n"
        "January 4, 2001 - A major rating agency today lowered Tolliver Valley Power's senior "
        "unsecured rating to BB+ from A-, below investment grade, citing more than $2 billion of "
        "undercollected wholesale power costs and uncertainty over state action on retail rates. "
        "The utility said it continues to pay suppliers and is in talks with lenders. Suppliers "
        "including several large trading houses have begun asking for collateral, people familiar "
        "with the matter said." + _UNSUBSCRIBE,
    ),
    D(
        "bg_gas_var",
        "2001-01-10 07:52",
        "ortiz",
        ("vasquez",),
        "Gas desk VaR - 1/9 close",
        "Helen,\n\nGas trading VaR on the 1/9 close: $9.1MM against the $12MM limit, no excess. "
        "Henry Hub vols are down from last week.\n\nLena",
    ),
    D(
        "bg_ca_article",
        "2001-01-18 12:40",
        "russo",
        ("sallinger", "kimura"),
        "FW: Rolling blackouts",
        "unreal. read the last paragraph.\n\n"
        "---------------------- Forwarded by Tony Russo/HOU/SCE on 01/18/2001 12:38 PM "
        "---------------------------\n\n\nNews Service <news@wirefeed.example> on 01/18/2001 "
        "11:02:16 AM\nTo: Tony Russo\ncc:\nSubject: Rolling blackouts\n\nROLLING BLACKOUTS HIT "
        "NORTHERN CALIFORNIA\n\nSAN FRANCISCO - Grid operators ordered rolling blackouts across "
        "northern and central California for a second day as imports fell short and several "
        "plants stayed offline. The governor blamed out-of-state generators and traders for "
        "prices that reached ten times last winter's levels. Traders in Houston and Portland, "
        "meanwhile, are said to be having their best winter on record.",
    ),
    D(
        "bg_east_pnl",
        "2001-02-02 18:05",
        "ortiz",
        ("vasquez",),
        "January flash P&L - East",
        "Helen,\n\nEast Power January flash: $6.2MM net margin, PJM and NEPOOL dailies. Final "
        "after settlements.\n\nLena",
    ),
    D(
        "bg_lunch",
        "2001-01-18 12:52",
        "sallinger",
        ("russo",),
        "RE: FW: Rolling blackouts",
        "ha. lunch at otto's 12:15? im buying if the sacto thing settles.",
        reply="bg_ca_article",
    ),
    D(
        "bg_northstar_lc",
        "2001-03-08 10:05",
        "ambrose",
        ("natarajan",),
        "Northstar Aluminum LC renewal",
        "Priya,\n\nNorthstar Aluminum's $5MM letter of credit expires 3/31. They've agreed to "
        "renew for one year at the same amount, same issuing bank. Exposure is $3.4MM, well "
        "inside their line. I'll send the draft to legal.\n\nKyle",
    ),
    D(
        "bg_pmw_mar",
        "2001-03-12 05:00",
        "pmw",
        ("kimura", "vasquez", "natarajan"),
        "Power Markets Weekly - March 12, 2001",
        "THIS WEEK\n\nFERC ORDERS REFUNDS REVIEW: The commission asked sellers into the California "
        "markets to justify or refund about $69 million of January charges.\n\nRISK: How trading "
        "houses set value-at-risk limits is getting a second look as volatility in the West runs "
        "at several times historical levels. Several firms raised desk limits over the winter; "
        "risk managers say that one-day VaR understates exposure when prices gap.\n\nCREDIT: "
        "Suppliers' exposure to cash-strapped utilities remains the market's biggest worry, with "
        "collateral calls rising and at least one utility widely expected to seek court "
        "protection." + _PMW_FOOTER,
    ),
    D(
        "bg_parking",
        "2001-03-19 08:10",
        "facilities",
        ("kimura", "russo", "harlow", "dunn"),
        "Smith St. garage - levels 3-5 closed this weekend",
        "Levels 3 through 5 of the Smith St. garage will be closed Saturday 3/24 and Sunday 3/25 "
        "for resurfacing. Weekend staff please park on levels 6-8.\n\nBuilding Services",
    ),
    D(
        "bg_ms_deck",
        "2001-04-05 15:40",
        "brennan",
        ("fenwick",),
        "Marisol page for the board deck",
        "Marcus,\n\nProposed Marisol page for the April board deck: project about $60MM over "
        "budget so far (turbines and the lateral), COD 1Q02, PPA counterparty current on "
        "payments. Denise has the detail if anyone asks.\n\nWalt",
    ),
    D(
        "bg_earnings_call",
        "2001-04-16 12:00",
        "corpcomm",
        ("kimura", "natarajan", "fenwick", "delacroix"),
        "First quarter earnings call - April 17",
        "Sabine Crest will report first quarter 2001 results before the market opens on Tuesday, "
        "April 17, followed by a conference call at 10:00 a.m. Central. Employees can listen "
        "through the intranet link. Please refer any press or analyst calls to Corporate "
        "Communications.",
    ),
    D(
        "bg_lrp_meeting",
        "2001-05-02 10:30",
        "straub",
        ("kell",),
        "LRP annual meeting - room",
        "Martha,\n\nCould you hold the 50th floor board room on May 24, 2-5 pm, for the Lantern "
        "Ridge limited partners' annual meeting? About 15 people, coffee only. Thanks.\n\nNeil",
    ),
    D(
        "bg_401k",
        "2001-07-02 09:00",
        "hr",
        ("russo", "sallinger", "ambrose", "harlow", "ortiz"),
        "Changes to the Savings Plan",
        "Starting August 1 the Savings Plan moves to a new administrator. The plan will be closed "
        "to transactions from July 25 to August 8 while balances transfer. Company matching "
        "contributions will continue to be made in Sabine Crest stock.\n\nHR Communications",
    ),
    D(
        "bg_ms_ppa",
        "2001-08-14 18:20",
        "brennan",
        ("fenwick", "harlow"),
        "Marisol PPA arrears",
        "Marcus,\n\nThe state utility has not paid a Marisol capacity invoice since May; arrears "
        "are $27MM. We filed for arbitration under the PPA today. Local counsel thinks 12-18 "
        "months to an award.\n\nWalt",
    ),
    D(
        "bg_ff_draft",
        "2001-08-20 13:30",
        "boyle",
        ("russo", "sallinger", "kimura", "ambrose"),
        "FF draft 2001",
        "draft is Tuesday 9/4 6pm at Sambuca. same rules as last year, $50 buy-in, snake draft, "
        "order by reverse standings. Sallinger you're picking last champ.\n\nJB",
    ),
    D(
        "bg_risk_agenda",
        "2001-09-10 09:15",
        "vasquez",
        ("kimura", "tillery", "fenwick"),
        "Risk committee - Sept 17 agenda",
        "Agenda for the September 17 risk committee:\n\n1. Annual review of trading VaR limits "
        "(current: West Power $15MM, East Power $8MM, Gas $12MM)\n2. Stress tests for a repeat of "
        "last winter\n3. Credit reserve methodology\n4. AOB\n\nHelen",
    ),
    D(
        "bg_partnership_article",
        "2001-10-01 20:45",
        "mcbride",
        ("russo",),
        "isn't this your shop?",
        "Tony - saw this, isn't this you guys? hope your options are ok.\n\nSean\n\n"
        "-----Original Message-----\nFrom: Newsletter Desk [mailto:desk@marketbrief.example]\n"
        "Sent: Monday, October 01, 2001 6:00 AM\nSubject: Market Brief\n\nENERGY TRADERS' "
        "PARTNERSHIPS DRAW QUESTIONS\n\nInvestors are asking energy trading companies to explain "
        "their dealings with related-party partnerships, some run by their own executives. "
        "Sabine Crest, Houston, has disclosed transactions with partnerships managed by a senior "
        "finance officer but has given few details of the amounts or the approvals involved. "
        "The company said the arrangements were reviewed by its board and its auditors.\n\n"
        "To stop receiving Market Brief, reply UNSUBSCRIBE.",
    ),
]
