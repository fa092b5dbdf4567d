-- Issue 10, points 4, 5 and 7: consent to what is recorded, and how long personal data is kept.
-- Room rosters themselves are in 0012 (room_members).

-- The organiser's consent notice, per session, in both languages (null: the default notice). Every edit
-- of the notice or of the retention period bumps consent_version, so a viewer who read an older notice
-- is asked to read the new one before joining.
alter table sessions add column consent_text_zh text null;
alter table sessions add column consent_text_en text null;
alter table sessions add column consent_version bigint not null default 1;
-- Days after the session ends that personal data is kept (null: the deployment's Retention:Days).
alter table sessions add column retention_days bigint null;
-- When the retention sweep anonymised the session's personal data (null: not yet).
alter table sessions add column personal_data_removed_at_ms bigint null;

-- The notice a viewer accepted when joining, and when. Host and moderator links have none: they are the
-- organiser's partners (docs/decisions/0012).
alter table participants add column consent_version bigint null;
alter table participants add column consented_at_ms bigint null;

-- A screen's roster changing mid-session changes its headcount: its open interval is closed and a new one
-- opened with the new headcount (minutes x people stay exact). The new one continues the same connection,
-- so it is not counted as another join.
alter table attendance_intervals add column continued bigint not null default 0;
