"""Hand-written phrases and templates for the Northwind sample's ordinary mail (see sample_noise)."""

from __future__ import annotations

SIGNOFFS = [
    "Thanks,\n{first}",
    "{first}",
    "Thx\n{first}",
    "Cheers,\n{first}",
    "Best,\n{first}",
    "{first}\n\nSent from my iPhone",
    "Thanks!\n{first}",
    "-{first}",
]

MEETING_TOPICS = [
    "the Q3 budget variance",
    "the SAP cutover plan",
    "next year's revenue forecast",
    "the Sabine compressor overhaul schedule",
    "the new expense policy",
    "the partnership review with Gulf Coast Midstream",
    "summer intern projects",
    "the trading system upgrade",
    "the valve inspection backlog at Port Arthur",
    "the board deck for next month",
    "the insurance renewal",
    "the audit fee proposal",
    "the Houston office move",
    "the contractor safety orientation",
    "the 2024 capital plan",
    "credit limits for new counterparties",
    "the pipeline integrity program",
    "the month-end close calendar",
    "vendor onboarding",
    "the customer renewal pipeline",
]

MEETING_REPLIES = [
    "{slot} works. See you in {room}.",
    "Can we push to the afternoon? I have the revenue review in the morning.",
    "Works for me. I'll bring the numbers.",
    "I'm out that day, can someone take notes?",
    "sure - sent you an invite",
    "Let's do it. Can we add 15 min for the schedule slip?",
    "ok",
    "Can't make {slot}, how about Friday?",
]

LUNCH_PLACES = [
    "Goode Co",
    "the taco truck",
    "Lupe Tortilla",
    "Pho Saigon",
    "the cafeteria",
    "Niko Niko's",
    "Local Foods",
    "Ninfa's",
    "Antone's",
    "the Thai place on Travis",
]

FANTASY_LINES = [
    "{winner} put up {pts} and is now talking trash in the group chat. {loser} started a kicker on bye. Again.",
    "Upset of the week: {winner} over {loser}, {pts} points. Somebody check on {loser}.",
    "{winner} takes it with {pts}. {loser} has now lost three straight and has asked about a trade for my RB2. No.",
    "Monday night comeback: {winner} needed 19 from one receiver and got 22. {loser} is inconsolable. Final {pts}.",
]

ENERGYWIRE_HEADLINES = [
    (
        "Regulators propose tighter valve inspection rules for gas compressor stations",
        "PHMSA draft would shorten inspection intervals for mainline block valves.",
    ),
    (
        "California grid operator reviews price cap after summer spikes",
        "Market monitor to study imports sold above the in-state offer cap.",
    ),
    (
        "Midstream firms turn to partnerships to monetise unused capacity",
        "Analysts warn some structures look more like financings than sales.",
    ),
    (
        "Utility layoffs mount as gas prices slide",
        "Three Gulf Coast operators announced workforce reductions this quarter.",
    ),
    (
        "Henry Hub falls below $2.50 on mild weather",
        "Storage remains well above the five-year average.",
    ),
    (
        "FERC settles manipulation case with Midwest trader",
        "Traders scheduled power in loops to capture congestion payments.",
    ),
    (
        "Revenue recognition questions dog energy SPAC",
        "Auditors ask about timing of capacity sales.",
    ),
    (
        "Heat wave pushes Western power prices to records",
        "Palo Verde and Mid-C spot prices spike during the afternoon peak.",
    ),
    (
        "Texas commission fines pipeline operator over corrosion",
        "Inspectors found external corrosion under insulation at two stations.",
    ),
    (
        "CFO turnover rises across mid-cap energy",
        "Departures often follow restatements or internal audits, consultants say.",
    ),
    ("LNG exports hit new monthly high", "Gulf Coast terminals ran near capacity in the month."),
    (
        "Cybersecurity: data leaks by departing employees on the rise",
        "Security teams report more customer lists sent to personal email.",
    ),
    (
        "Compressor station fire injures two in Louisiana",
        "Investigators focus on a failed relief valve at the site.",
    ),
    (
        "Hurricane season outlook: above normal",
        "Operators review storm plans for coastal facilities.",
    ),
    ("Natural gas storage injections slow", "Weekly injection came in below expectations."),
]

FORWARDED_ARTICLES = [
    (
        "Regulators propose tighter valve inspection rules for gas compressor stations",
        "Federal regulators proposed rules on Tuesday that would require operators to inspect mainline block valves at compressor stations every 12 months instead of every 24, citing several recent failures linked to external corrosion. Industry groups said the change would raise maintenance costs.",
    ),
    (
        "Midstream firms turn to partnerships to monetise unused capacity",
        "A growing number of pipeline companies are selling interests in long-term capacity contracts to outside partnerships for cash up front. Accounting experts caution that if the seller keeps the risks, or promises to buy the interest back, the deal is a loan, not revenue.",
    ),
    (
        "California grid operator reviews price cap after summer spikes",
        "The grid operator's market monitor said it would study whether some imports sold above the in-state price cap during summer heat waves were actually power that had been exported earlier in the day.",
    ),
    (
        "Utility layoffs mount as gas prices slide",
        "Low prices are squeezing Gulf Coast operators. At least three announced reductions in force this quarter, mostly in field operations.",
    ),
    (
        "Heat wave pushes Western power prices to records",
        "Spot power at Palo Verde traded above $700/MWh on Thursday afternoon as temperatures topped 115F across the desert Southwest.",
    ),
    (
        "CFO turnover rises across mid-cap energy",
        "Finance chiefs at mid-cap energy companies are leaving at the fastest rate in a decade. Several departures followed internal audits or restatements.",
    ),
]

IT_NOTICES = [
    (
        "Scheduled maintenance: email outage Saturday 10pm-2am",
        "Email and Teams will be unavailable on Saturday from 10:00 pm to 2:00 am for server patching.",
    ),
    (
        "Phishing alert: fake 'payroll update' emails",
        "We are seeing phishing emails asking you to confirm payroll details. Do not click the link. Report it with the Phish Alert button.",
    ),
    (
        "Password expiry policy changes",
        "Starting next month passwords expire every 180 days instead of 90 and must be at least 14 characters.",
    ),
    (
        "New VPN client rollout",
        "The new VPN client will be pushed to all laptops this week. Restart when prompted.",
    ),
    (
        "Reminder: do not send company data to personal email",
        "Forwarding company documents to personal email accounts violates the Acceptable Use Policy. Use OneDrive to share files with approved partners.",
    ),
    (
        "Trading floor network maintenance",
        "Trading floor switches will be replaced Sunday 6am-9am. Real-time desks have a backup circuit.",
    ),
    (
        "Security awareness training due",
        "Annual security awareness training is due by the end of the month. It takes about 25 minutes.",
    ),
]

NEWSLETTER_ITEMS = [
    (
        "Spring 2023",
        [
            (
                "Lakeside hits 500 days without a lost-time injury",
                "The Lakeside compressor station crew marked 500 days without a lost-time injury. Station manager Janet Price credited the team's daily walkdowns.",
            ),
            (
                "Community partnership with the Houston Food Bank",
                "Our new partnership with the Houston Food Bank kicked off with 120 volunteers.",
            ),
        ],
    ),
    (
        "Summer 2023",
        [
            (
                "Record quarter for trading",
                "The West Power trading desk posted its best quarter, helped by summer heat.",
            ),
            (
                "Meet the interns",
                "Fourteen interns joined us this summer in finance, operations and IT.",
            ),
        ],
    ),
    (
        "Fall 2023",
        [
            (
                "Capital plan 2024 approved",
                "The 2024 capital plan includes valve replacements and compressor overhauls at four Gulf region stations.",
            ),
            ("United Way campaign", "Thank you for raising $212,000 for United Way."),
        ],
    ),
    (
        "Winter 2024",
        [
            (
                "Safety stand-down",
                "Following the January incident at Lakeside, all stations held a safety stand-down. Our thoughts are with our injured colleagues.",
            ),
            (
                "New ERP go-live",
                "The new finance system goes live in April. Training sessions start next month.",
            ),
        ],
    ),
    (
        "Spring 2024",
        [
            ("Welcome to our new colleagues", "We welcomed 18 new hires in Q1."),
            (
                "Revenue assurance team formed",
                "Finance has created a revenue assurance team to review large contracts.",
            ),
        ],
    ),
    (
        "Summer 2024",
        [
            ("Hurricane readiness", "All coastal stations completed hurricane drills in June."),
            (
                "Partnership with Rice University",
                "A research partnership on methane detection was signed in July.",
            ),
        ],
    ),
]

ROUTINE_TEMPLATES = [
    {
        "count": 12,
        "from": "paul.okafor",
        "to": ["priya.raman", "nate.duffy"],
        "cc": ["ted.ramos"],
        "subject": "{month} close calendar",
        "body": "All,\n\nClose calendar for {month}: accruals due WD2, revenue and capacity sales reconciliations WD3, flux analysis WD4. Please have the revenue cut-off testing done before the review meeting on the {day}th.\n\nAny partnership or joint venture entries need my sign-off before posting.",
    },
    {
        "count": 8,
        "from": "nate.duffy",
        "to": ["paul.okafor"],
        "cc": [],
        "subject": "Revenue flash - {month}",
        "body": "Paul,\n\n{month} revenue flash attached. Transport revenue is up {pct}% on last year, storage flat, trading margin in line with forecast. No unusual items.\n\nModel is on the FP&A share.",
    },
    {
        "count": 14,
        "from": "doug.pratt",
        "to": ["janet.price"],
        "cc": [],
        "subject": "{station} - valve PM schedule",
        "body": "Janet,\n\nPM schedule for {station} next week: valve {valve} lubrication and stroke test, compressor #2 oil sample, fire and gas detector calibration. WO-{wo} is open for the {valve} actuator seal replacement, parts are on site.\n\nLet me know if the outage window on the {day}th doesn't work.",
    },
    {
        "count": 6,
        "from": "carlos.ibarra",
        "to": ["doug.pratt"],
        "cc": [],
        "subject": "{station} cathodic protection survey",
        "body": "Doug,\n\nCP survey at {station} is done, all readings within criteria except one test point near valve {valve} which is borderline. Nothing urgent, add a re-check to the next quarterly round.",
    },
    {
        "count": 10,
        "from": "brian.cho",
        "to": ["hugo.stein"],
        "cc": [],
        "subject": "Nominations for gas day {month} {day}",
        "body": "Hugo,\n\nNominations confirmed for gas day {month} {day}: {dth} Dth/d total, Lakeside running at 82% of capacity, Sabine at 71%. One cut at the Port Arthur interconnect, resolved.",
    },
    {
        "count": 9,
        "from": "leo.santos",
        "to": ["jake.morrow"],
        "cc": ["tyler.gunn"],
        "subject": "West desk EOD",
        "body": "Jake,\n\nEOD: long {mw} MW at {hub} for tomorrow HE7-HE22, flat elsewhere. Prices soft, cap not binding. Nothing exotic on the sheet.",
    },
    {
        "count": 6,
        "from": "ted.ramos",
        "to": [],
        "cc": [],
        "subject": "Expense reports due {month} {day}",
        "body": "Hi,\n\nFriendly reminder that expense reports for {month} are due by the {day}th. Receipts over $75 need to be attached. Reports without a cost center will be sent back.",
    },
    {
        "count": 6,
        "from": "sam.whitfield",
        "to": [],
        "cc": [],
        "subject": "Building notice - {month} {day}",
        "body": "Hello,\n\nThe fire drill for floors 8-12 is scheduled for {month} {day} at 10:30. The garage level P2 will also be closed that day for restriping, please use P3.",
    },
    {
        "count": 5,
        "from": "aisha.bello",
        "to": [],
        "cc": [],
        "subject": "Safety moment: valve isolation and lockout/tagout",
        "body": "Team,\n\nThis week's safety moment: never rely on a single closed valve for isolation. Double block and bleed, verify zero energy, and tag every valve you lock. {station} had a near miss last month when a bleed valve was left open.\n\nPlease share at your toolbox talks.",
    },
    {
        "count": 5,
        "from": "nina.park",
        "to": ["derek.lund"],
        "cc": [],
        "subject": "Renewals due in {month}",
        "body": "Derek,\n\nYou have renewals coming up in {month}: three industrial accounts and one municipal. Pricing proposals are in the CRM. Let me know if you need the key accounts summary refreshed.",
    },
    {
        "count": 4,
        "from": "kevin.oneill",
        "to": [],
        "cc": [],
        "subject": "Your laptop refresh appointment",
        "body": "Hi,\n\nYour laptop is due for refresh. Please bring it to the Service Desk on {month} {day} between 9 and 4. Save your files to OneDrive first; local files will not be migrated.",
    },
    {
        "count": 4,
        "from": "omar.haddad",
        "to": [],
        "cc": [],
        "subject": "Media inquiry - please route to Comms",
        "body": "Hi all,\n\nWe've had a reporter calling around about our Gulf region operations. Please don't comment, forward any media calls to Corporate Communications.",
    },
]
