-- Polls (issue 9). A host prepares polls (drafts) before the session, launches one at a time and
-- closes it; viewers answer once and may change their answer until it closes.

create table polls (
    id $ID,
    session_id bigint not null references sessions (id),
    -- single | multiple | rating | words
    kind text not null,
    question text not null,
    -- The options' texts as a JSON array of strings (single and multiple choice; [] otherwise). They are
    -- always read with their poll, and answers refer to them by position.
    options text not null,
    -- live: everyone sees the results while it is open; hidden: only hosts, until it closes.
    results text not null,
    -- screens: one answer counts once; people: weighted by the screen's headcount.
    counting text not null,
    -- draft | open | closed
    state text not null,
    created_at_ms bigint not null,
    opened_at_ms bigint null,
    closed_at_ms bigint null
);

create index polls_session on polls (session_id);

-- One answer per participant per poll, replaced when the viewer changes it. `revision` counts the
-- writes (1 for the first answer): the sum over a poll grows with every committed change, so a
-- consistent read of it orders result messages across instances without a counter row to lock.
create table poll_answers (
    poll_id bigint not null references polls (id),
    participant_id bigint not null references participants (id),
    -- The screen's headcount when it answered: the weight in "people" counting.
    headcount bigint not null,
    -- As the viewer's client sent it, for "my answer" after a reload (JSON).
    answer text not null,
    client_key text null,
    revision bigint not null,
    answered_at_ms bigint not null,
    primary key (poll_id, participant_id)
);

-- What an answer counts for: one row per chosen option (its position), the rating (1..5) or each word
-- (normalised). Results are a group by over these rows.
create table poll_votes (
    poll_id bigint not null references polls (id),
    participant_id bigint not null references participants (id),
    item text not null,
    weight bigint not null,
    primary key (poll_id, participant_id, item)
);
