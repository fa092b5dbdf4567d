import type { MyPollAnswer, PollResults, PollsState } from "./contract";

// The polls stream as the live store keeps it. The stream's events (PollsChanged) carry the polls but
// not the open poll's counts; those come coalesced (PollResultsChanged) and are ordered by their
// sequence, not a version: the highest seen wins, whichever hub instance sent it.

export interface PollsView {
  state: PollsState;
  /** The open poll's newest results, when this screen may see them (hosts always; viewers when live). */
  results: PollResults | null;
}

export const emptyPolls = (): PollsView => ({ state: { version: 0, open: null, closed: [], myAnswer: null }, results: null });

/** From a snapshot or GetPolls: replaces everything (the results only if newer than what is here for the same poll). */
export function pollsFrom(state: PollsState | null | undefined, previous: PollsView | null): PollsView {
  if (!state) return emptyPolls();
  const tally = state.open?.tally ?? null;
  const kept = previous?.results && previous.results.pollId === state.open?.id ? previous.results : null;
  return { state, results: newest(kept, tally) };
}

/** A PollsChanged event: the polls whole; my answer and the counts stay while the same poll is open. */
export function applyPollsChanged(view: PollsView, next: PollsState): void {
  const sameOpen = next.open !== null && view.state.open?.id === next.open.id;
  const myAnswer: MyPollAnswer | null = sameOpen ? view.state.myAnswer : null;
  view.state = { ...next, myAnswer: next.myAnswer ?? myAnswer };
  if (!sameOpen) view.results = null;
}

/** Coalesced results: kept when they are for the open poll and newer than what is here. */
export function applyPollResults(view: PollsView, results: PollResults): boolean {
  if (view.state.open?.id !== results.pollId) return false;
  const chosen = newest(view.results, results);
  if (chosen === view.results) return false;
  view.results = chosen;
  return true;
}

function newest(a: PollResults | null, b: PollResults | null): PollResults | null {
  if (!a) return b;
  if (!b) return a;
  return b.sequence > a.sequence ? b : a;
}
