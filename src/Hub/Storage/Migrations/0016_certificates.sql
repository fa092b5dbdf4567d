-- Certificates (issue 10, point 6). The organiser sets a session's rule and CE hours; after the session
-- every eligible person gets a certificate with a code a stranger can verify.

create table certificate_rules (
    session_id bigint primary key references sessions (id),
    -- Present for at least this share of the session (whole percent, 1..100).
    min_percent bigint not null,
    -- 1: the person's screen must have given feedback.
    feedback_required bigint not null,
    -- Continuing-education hours in hundredths (1.5 hours = 150): exact on both databases.
    ce_hours_hundredths bigint not null,
    updated_at_ms bigint not null
);

-- One row per person a certificate was issued to: a screen without a roster (person_key 'p:<participant>')
-- or one roster member ('m:<room member>'). person_key is unique per session, so issuing again adds only
-- people who were not there yet (NULLs would be distinct in a unique index, hence a key of its own).
-- What the certificate says is copied at issue (name, agency, hours): verification must keep saying it
-- after rosters change or retention blanks the names elsewhere.
create table certificates (
    id $ID,
    session_id bigint not null references sessions (id),
    participant_id bigint not null references participants (id),
    room_member_id bigint null references room_members (id),
    person_key text not null,
    -- What people type or scan: 10 characters of an alphabet without look-alikes.
    code text not null,
    -- Null once retention removed it; name_removed_at_ms says when.
    holder_name text null,
    name_removed_at_ms bigint null,
    agency_name text not null,
    ce_hours_hundredths bigint not null,
    -- Presence when issued, in hundredths of a percent, for the organiser's records.
    present_hundredths bigint not null,
    issued_at_ms bigint not null,
    revoked_at_ms bigint null,
    revoke_reason text null
);

create unique index certificates_code on certificates (code);
create unique index certificates_person on certificates (session_id, person_key);
create index certificates_participant on certificates (participant_id);
