-- Feedback after a session (issue 8). A session's form is the default one (in code, both languages)
-- until the organiser saves their own; the default is written into feedback_questions when the first
-- response arrives, so stored answers always point at the questions they answered. Once a response
-- exists the form is frozen (answers point at its questions and options).

-- One row per session whose feedback has been touched. Every feedback write starts by writing this row,
-- so writes to one session's feedback queue (PostgreSQL's row lock; SQLite's write lock does it anyway).
create table feedback_settings (
    session_id bigint primary key references sessions (id),
    -- When feedback closes; null: the session's end plus Feedback:OpenDays.
    closes_at_ms bigint null,
    -- When the organiser last saved a form of their own; null: the default form.
    form_saved_at_ms bigint null,
    changed_at_ms bigint not null
);

create table feedback_questions (
    id $ID,
    session_id bigint not null references sessions (id),
    position bigint not null,
    -- rating (1..5), single, multiple, text
    kind text not null,
    -- As the organiser typed them; an empty one falls back to the other language when read.
    text_zh text not null,
    text_en text not null,
    required bigint not null
);

create unique index feedback_questions_position on feedback_questions (session_id, position);

create table feedback_options (
    id $ID,
    question_id bigint not null references feedback_questions (id),
    position bigint not null,
    text_zh text not null,
    text_en text not null
);

create unique index feedback_options_position on feedback_options (question_id, position);

-- One response per participant: a screen (or a respondent from the feedback link), speaking for
-- speaks_for people.
create table feedback_responses (
    id $ID,
    session_id bigint not null references sessions (id),
    participant_id bigint not null references participants (id),
    speaks_for bigint not null,
    submitted_at_ms bigint not null,
    updated_at_ms bigint not null
);

create unique index feedback_responses_participant on feedback_responses (participant_id);
create index feedback_responses_session on feedback_responses (session_id);

-- One row per answered question (rating, single choice, text), one per chosen option (multiple choice).
create table feedback_answers (
    response_id bigint not null references feedback_responses (id),
    question_id bigint not null references feedback_questions (id),
    option_id bigint null references feedback_options (id),
    rating bigint null,
    text text null
);

create index feedback_answers_response on feedback_answers (response_id);
create index feedback_answers_question on feedback_answers (question_id);
