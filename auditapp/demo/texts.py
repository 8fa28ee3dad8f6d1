"""The demo audits' invented words: what auditors write about the child's voice, the evidence for each answer,
and their summaries per grade. Everything here is synthetic."""

NOT_ALONE = [
    "Visits were announced and the parent was present each time; no reason recorded for not seeing the child alone.",
    "The child was seen at school with a teacher present; the worker did not ask to see the child alone.",
    "Seen with siblings at every visit; the file does not say whether seeing the child alone was considered.",
]
EVIDENCE = {
    "childs_voice": {
        True: [
            "The child's wishes and feelings are recorded in their own words after each visit, and the plan "
            "was changed to include the after-school club they asked for.",
            "Direct work sessions using the three houses tool are on file; what the child said about mealtimes "
            "and bedtime is carried into the plan.",
            "The child drew their 'day at home' with the practitioner; the drawing and what it showed are "
            "discussed in the review.",
        ],
        False: [
            "Visits record the home conditions but say little about what the child thinks or feels.",
            "The child's views are summarised as 'happy at home' with no detail and no direct work on file.",
            "The plan is written about the child rather than with them; their wishes are not mentioned.",
        ],
    },
    "chronology_history": {
        True: [
            "The chronology is kept up to date and was used in the assessment to show the pattern of missed "
            "appointments and poor school attendance over three years.",
            "Previous referrals for home conditions were pulled together and analysed, so the cumulative impact "
            "of neglect was recognised early.",
        ],
        False: [
            "Previous referrals are listed but not analysed; each episode has been treated as new.",
            "There is no single chronology: key events are scattered through case notes, so the history of "
            "neglect is hard to see.",
        ],
    },
    "referral_assessment": {
        True: [
            "The referrer received a written outcome within a week. The assessment analyses the impact of "
            "neglect on the child's development and is signed off by the manager.",
            "The assessment is clear about what life is like for the child, with health and school information "
            "woven in.",
        ],
        False: [
            "The referrer was not told the outcome. The assessment describes the family's circumstances but "
            "does not analyse what they mean for the child.",
            "The assessment relies on the parents' account; no other agency was contacted before it closed.",
        ],
    },
    "planning": {
        True: [
            "The plan says who will do what by when: nursery place, dental registration and weekly home "
            "support, each with a named agency and a date.",
            "Outcomes are measurable (attendance, weight, dental treatment) and progress is reviewed at each "
            "core group.",
        ],
        False: [
            "Actions such as 'parent to improve home conditions' have no measure, timescale or support offered.",
            "The plan has not been updated since conference although the child's circumstances changed.",
        ],
    },
    "multi_agency": {
        True: [
            "Core groups are well attended by school, health visiting and social care; minutes are shared within "
            "days and actions are followed up.",
            "A strategy discussion with police and health was held the day after the disclosure.",
        ],
        False: [
            "School was not invited to two core groups and minutes arrived weeks late.",
            "Information from health about missed appointments did not reach the core group.",
        ],
    },
    "supervision_oversight": {
        True: [
            "Supervision notes are reflective and ask what the day-to-day experience is for the child; "
            "management decisions are recorded with reasons.",
            "The manager challenged drift at the three-month point and set clear actions, which were completed.",
        ],
        False: [
            "Supervision records list tasks but do not reflect on the child's experience or progress.",
            "There is no recorded management oversight of the decision to step down.",
        ],
    },
    "transfer_closure": {
        True: [
            "Transfer between teams was planned, with a joint visit so the child met the new worker.",
            "Step down to early help was agreed at a core group with a clear plan and named lead professional.",
        ],
        False: [
            "The case transferred with no transfer summary and a five-week gap in visits.",
            "Closure was agreed without checking with school, which still had concerns about attendance.",
        ],
    },
}
HEALTH_NOTE = ("Health records: ", "From the health visiting and school nursing records: ")
# Per grade, two ways an auditor might put it: (good practice, areas for development, so what for the child)
SUMMARIES = {
    "outstanding": [
        (
            "Persistent, creative direct work with the child and a plan changed as soon as it was not working; "
            "agencies shared information quickly and challenged each other constructively.",
            "Record the child's own words more consistently in plan reviews; share minutes with the GP.",
            "The child now goes to school every day, has had dental treatment and says home feels calmer. Their life "
            "is measurably better than a year ago.",
        ),
        (
            "The child's daily life was at the centre of every meeting; the family were supported to make changes "
            "rather than monitored.",
            "Keep the chronology up to date after the plan ends so the history is not lost.",
            "The child is growing well, is settled at school and can name the adults they trust and would go to.",
        ),
    ],
    "good": [
        (
            "Regular visits, the child seen and listened to, and a plan that most agencies understood and followed.",
            "Make the plan's outcomes measurable and record management oversight of key decisions.",
            "Home conditions improved and the child is gaining weight; they say mealtimes are now regular. Progress "
            "needs to last after the plan ends.",
        ),
        (
            "Good joint visits by social care and health visiting; the parent engaged once practical help was offered.",
            "Send the referrer the outcome in writing; invite school to every core group.",
            "The child's attendance is up and their speech is coming on at nursery; they are warmer and better fed.",
        ),
    ],
    "requires_improvement": [
        (
            "A good relationship with the parent; the child got to health appointments more often once transport "
            "was arranged.",
            "Use the history to understand cumulative neglect; see the child alone and record why "
            "when this is not possible; make the plan SMART.",
            "Some change: the child's health needs are now met, but school attendance is still low and the child "
            "says little has changed at home.",
        ),
        (
            "The worker kept visiting through a hard year and the school's pastoral support was consistent.",
            "Review the plan when it stalls instead of repeating the same actions; hold agencies to their tasks.",
            "The child is safer day to day, but still often arrives at school hungry and tired; the drift has cost "
            "them months.",
        ),
    ],
    "inadequate": [
        (
            "School staff noticed the child's hunger and reported it promptly; the referral was clear.",
            "Recognise the cumulative impact of neglect; hold a strategy discussion when risks escalate; make sure "
            "every agency attends the core group and acts on what is agreed.",
            "Little difference for the child: they are still often hungry, miss school and health appointments, and "
            "the plan has drifted for months.",
        ),
        (
            "The health visitor kept records of the child's growth that made the concern clear.",
            "Act on the evidence of neglect: escalate, see the child alone and involve every agency in one plan.",
            "The child's experience has not changed: the home is unsafe and cold, and nobody has asked them what it "
            "is like to live there.",
        ),
    ],
}
NOT_APPLICABLE_NOTE = "Still open on a plan: no transfer or closure to consider yet."
# For a tool's sections and free-text questions the demo has no words of its own for (a newer tool's): what an
# auditor writes when the section is mostly met (True) and when it is not (False).
GENERIC_EVIDENCE = {
    True: [
        "Found on the file and dated: the records show what was done, by whom and why, and the next step.",
        "Clear entries in the case notes and the minutes; what the child needed was recognised and acted on.",
        "The file shows this was done on time, with the reasons written down and shared with the other agencies.",
    ],
    False: [
        "Not on the file, or only in passing: the case notes do not say whether this was considered.",
        "Partly done: the records mention it but do not show what was decided or what changed for the child.",
        "The file shows this was late and the reason is not recorded; nobody followed it up.",
    ],
}
GENERIC_TEXT = {
    True: [
        "Recorded clearly on the file, in the child's and family's own words where it mattered.",
        "Done well and on time; the other agencies knew and their part is recorded.",
    ],
    False: [
        "Not recorded, so it is not clear what happened or what it meant for the child.",
        "Only partly recorded; the file does not show what was decided or why.",
    ],
}
# How a child too young (or unable) to talk about home life was observed, for a tool that asks it.
OBSERVED = {
    "baby": "Observed at every visit: handled by the parent, fed and settled; the home and the child's care recorded.",
    "toddler": "Observed at play at home and at nursery, with the nursery staff's observations recorded.",
    "disabled": "Observed with the carer at home and at school; views gathered with the child's communication symbols.",
}
