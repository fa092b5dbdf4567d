// Every key this app keeps in the browser, in one place. Storage can throw (private mode, quota, a
// policy that disables it); the app then carries on without remembering.

export const StorageKeys = {
  lang: "lx.lang",
  participant: (code: string) => `lx.participant.${code}`,
  draft: (code: string) => `lx.draft.${code}`,
  lastDisplayName: "lx.join.displayName",
  lastAgencyId: "lx.join.agencyId",
  lastHeadcount: "lx.join.headcount",
  hostToken: "lx.host.token",
  quality: "lx.video.quality",
  hostLive: (token: string) => `lx.host.live.${token.slice(0, 12)}`,
  organiserKey: "lx.organiser.key",
} as const;

function read(storage: () => Storage, key: string): string | null {
  try {
    return storage().getItem(key);
  } catch {
    return null;
  }
}

function write(storage: () => Storage, key: string, value: string | null): void {
  try {
    if (value === null) storage().removeItem(key);
    else storage().setItem(key, value);
  } catch {
    // Not remembered; nothing else to do.
  }
}

export const local = {
  get: (key: string) => read(() => window.localStorage, key),
  set: (key: string, value: string | null) => write(() => window.localStorage, key, value),
};

export const perTab = {
  get: (key: string) => read(() => window.sessionStorage, key),
  set: (key: string, value: string | null) => write(() => window.sessionStorage, key, value),
};

/**
 * Takes a secret (`#token=…`, `#key=…`) out of the URL fragment, keeps it for this tab and removes the
 * fragment from the address bar and history, so it isn't shown on a projected screen or shared by accident.
 */
export function takeSecretFromFragment(param: string, storageKey: string): string | null {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const fromUrl = fragment.get(param)?.trim();
  if (fromUrl) {
    perTab.set(storageKey, fromUrl);
    history.replaceState(history.state, "", window.location.pathname + window.location.search);
    return fromUrl;
  }
  return perTab.get(storageKey);
}

/** Join codes are typed case-insensitively; the app always uses the upper-case form. */
export function normaliseCode(raw: string | null | undefined): string {
  return (raw ?? "").replace(/[\s-]+/g, "").toUpperCase();
}
