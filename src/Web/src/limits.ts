import { requestJson } from "./api";
import type { Limits } from "./generated/api";

export type { Limits };

let pending: Promise<Limits> | null = null;

/** The server's limits (GET /api/limits), fetched once per page; a failed fetch is tried again next time. */
export function limits(): Promise<Limits> {
  pending ??= requestJson<Limits>("/api/limits").catch((error: unknown) => {
    pending = null;
    throw error;
  });
  return pending;
}

/**
 * Sets `maxlength` (text) or `max` (numbers) on every element under `root` with `data-limit="<name>"`,
 * from the server's limits. Until they arrive, and if they can't be had, the server still refuses
 * what is too long; nothing here is a second copy of a number.
 */
export async function applyLimits(root: ParentNode = document): Promise<Limits | null> {
  let known: Limits;
  try {
    known = await limits();
  } catch {
    return null;
  }
  for (const element of root.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("[data-limit]")) {
    const value = known[element.dataset.limit as keyof Limits];
    if (typeof value !== "number") continue;
    if (element instanceof HTMLInputElement && element.type === "number") element.max = String(value);
    else element.maxLength = value;
  }
  return known;
}

/** True when `text` fits the element's limit (or no limit is known yet: the server decides then). */
export function fits(element: HTMLInputElement | HTMLTextAreaElement, length: number): boolean {
  return element.maxLength <= 0 || length <= element.maxLength;
}
