-- Q&A moderation (issue 9). A question has a status: pending (waiting for a moderator, only when the
-- session asks for approval), live, answered, dismissed or withdrawn. Viewers see live and answered
-- ones; moderators see them all. One question per session may be pinned as "now answering".
alter table sessions add column questions_need_approval bigint not null default 0;
-- A second capability per session: the moderator link. Existing sessions get theirs when the
-- organiser next reads the session (random tokens cannot be made portably in SQL).
alter table sessions add column moderator_token text null;
create unique index sessions_moderator_token on sessions (moderator_token);
alter table sessions add column pinned_question_id bigint null;

alter table questions add column status text not null default 'live';
-- Anonymous to other viewers only: the organiser and moderators still see who asked.
alter table questions add column anonymous bigint not null default 0;
alter table questions add column reply text null;
alter table questions add column replied_at_ms bigint null;
alter table questions add column answered_at_ms bigint null;
alter table questions add column edited_at_ms bigint null;
