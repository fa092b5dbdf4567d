-- Issue 10, presenting: whether viewers are offered the deck as a download. Rendering the slides
-- needs the bytes either way (see docs/decisions/0010); this governs the offered download only.
-- Carried to screens on the slides stream, so it is a column beside the deck and page it qualifies.
alter table sessions add column deck_downloadable bigint not null default 0;
