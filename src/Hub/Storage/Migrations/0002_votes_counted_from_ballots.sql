-- Votes are counted from question_votes instead of a counter on the question. The counter made every
-- vote on a popular question wait for one row lock; the vote storm benchmark showed votes queueing
-- for seconds at 500 a second. A ballot is now one insert that contends with nothing.
alter table questions drop column votes;
