import type { ReceptionSummary } from "./contract";
import { ApiError, NetworkError } from "./errors";
import type * as Api from "./generated/api";

// The HTTP API of docs/api.md. Every caller proves its role with a bearer token; errors come back as
// ProblemDetails with a `code` extension and become ApiError.
//
// Request and response types are generated at build from the server's OpenAPI document
// (src/Hub/obj/openapi/LiveExchange.Hub.json → src/generated/api.ts, `npm run api`), never written here.
export type { components } from "./generated/api";
export type Agency = Api.Agency;
export type NewAgency = Api.NewAgency;
/** Times are ISO 8601 with the session zone's offset; `state` is scheduled | open | live | ended | cancelled. */
export type SessionScheduled = Api.SessionScheduled;
/** Local wall-clock times in `timeZone`, as a datetime-local input gives them: "2020-03-16T14:00". */
export type NewSession = Api.NewSession;
export type AttendanceRow = Api.ParticipantAttendance;
export type JoinInfo = Api.JoinInfo;
export type JoinRequest = Api.JoinRequest;
export type JoinResult = Api.Joined;
export type DeckUploaded = Api.DeckView;
export type SessionInfo = Api.MySession;
export type AgendaEdit = Api.AgendaEdit;
// issue 8: exports and the sessions report
export type ExportCatalogue = Api.ExportCatalogue;
export type SessionFigures = Api.SessionFigures;
export type SessionsReport = Api.SessionsReportResult;

export interface RequestOptions {
  token?: string | null;
  method?: "GET" | "POST" | "PUT" | "DELETE";
  /** Sent as JSON. */
  json?: unknown;
  accept?: string;
  signal?: AbortSignal;
}

/** Reads a failed response as ProblemDetails; a body without `code` still gives the status. */
async function problemFrom(status: number, contentType: string, readBody: () => Promise<string>): Promise<ApiError> {
  let code: string | undefined;
  let text = "";
  if (contentType.includes("json")) {
    try {
      const problem = JSON.parse(await readBody()) as { code?: unknown; detail?: unknown; title?: unknown };
      if (typeof problem.code === "string" && problem.code) code = problem.code;
      if (typeof problem.detail === "string" && problem.detail) text = problem.detail;
      else if (typeof problem.title === "string") text = problem.title;
    } catch {
      // Not ProblemDetails after all; the status is all we know.
    }
  }
  code ??= status === 401 ? "unauthorised" : status === 403 ? "forbidden" : undefined;
  return new ApiError(status, code, text);
}

/** fetch with the bearer token; resolves only for 2xx and throws ApiError or NetworkError otherwise. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers = new Headers({ Accept: options.accept ?? "application/json" });
  if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
  let body: string | undefined;
  if (options.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(options.json);
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
      signal: options.signal,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new NetworkError(error);
  }
  if (!response.ok) {
    throw await problemFrom(response.status, response.headers.get("content-type") ?? "", () => response.text());
  }
  return response;
}

export async function requestJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options);
  return (await response.json()) as T;
}

const segment = encodeURIComponent;

// Anyone with the code.
export const lookupSession = (code: string) => requestJson<JoinInfo>(`/api/join/${segment(code)}`);
export const joinSession = (join: JoinRequest) => requestJson<JoinResult>("/api/join", { json: join });

// Host or viewer.
export const getMySession = (token: string, signal?: AbortSignal) => requestJson<SessionInfo>("/api/session", { token, signal });

export async function getDeckBytes(token: string, deckId: number, signal?: AbortSignal): Promise<ArrayBuffer> {
  const response = await request(`/api/decks/${segment(String(deckId))}`, { token, accept: "application/pdf", signal });
  return response.arrayBuffer();
}

// Organiser.
export const listAgencies = (key: string) => requestJson<Agency[]>("/api/agencies", { token: key });
export const createAgency = (key: string, agency: NewAgency) => requestJson<Agency>("/api/agencies", { token: key, json: agency });
export const listSessions = (key: string) => requestJson<SessionScheduled[]>("/api/sessions", { token: key });
export const scheduleSession = (key: string, session: NewSession) =>
  requestJson<SessionScheduled>("/api/sessions", { token: key, json: session });
export const getAttendance = (key: string, sessionId: number, signal?: AbortSignal) =>
  requestJson<AttendanceRow[]>(`/api/sessions/${segment(String(sessionId))}/attendance`, { token: key, signal });

/** Replaces title, description, times and invited agencies (the body of scheduling). */
export const editSession = (key: string, sessionId: number, session: NewSession) =>
  requestJson<SessionScheduled>(`/api/sessions/${segment(String(sessionId))}`, { token: key, method: "PUT", json: session });
export const setAgenda = (key: string, sessionId: number, agenda: AgendaEdit) =>
  requestJson<SessionScheduled>(`/api/sessions/${segment(String(sessionId))}/agenda`, { token: key, method: "PUT", json: agenda });
/** Opens joining now, before the usual time. */
export const openSession = (key: string, sessionId: number) =>
  requestJson<SessionScheduled>(`/api/sessions/${segment(String(sessionId))}/open`, { token: key, method: "POST" });
/** Cancels a session that has not ended: nobody can join, connected screens are told. */
export const cancelSession = (key: string, sessionId: number) =>
  requestJson<SessionScheduled>(`/api/sessions/${segment(String(sessionId))}/cancel`, { token: key, method: "POST" });
/** Ends the session now: every screen is told, attendance closes. */
export const endSession = (key: string, sessionId: number) =>
  requestJson<SessionScheduled>(`/api/sessions/${segment(String(sessionId))}/end`, { token: key, method: "POST" });
/** Removes a viewer with its questions and votes (stuffing, abuse). */
export const removeParticipant = (key: string, sessionId: number, participantId: number) =>
  request(`/api/sessions/${segment(String(sessionId))}/participants/${segment(String(participantId))}`, { token: key, method: "DELETE" });
export const getReception = (key: string, sessionId: number, signal?: AbortSignal) =>
  requestJson<ReceptionSummary>(`/api/sessions/${segment(String(sessionId))}/reception`, { token: key, signal });

/**
 * Uploads a deck as multipart field `file`. XMLHttpRequest rather than fetch because only it reports
 * upload progress, which matters for a 20 MB deck on a slow line. `onProgress` gets 0..1.
 */
export function uploadDeck(token: string, sessionId: number, file: File, onProgress: (fraction: number) => void): Promise<DeckUploaded> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/sessions/${segment(String(sessionId))}/deck`);
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as DeckUploaded);
        } catch (error) {
          reject(error);
        }
        return;
      }
      problemFrom(xhr.status, xhr.getResponseHeader("content-type") ?? "", async () => xhr.responseText).then((problem) =>
        // Kestrel's own body-size limit answers 413 before the endpoint can write ProblemDetails.
        reject(problem.code === undefined && xhr.status === 413 ? new ApiError(413, "deck_too_large", problem.englishText) : problem),
      );
    });
    xhr.addEventListener("error", () => reject(new NetworkError()));
    xhr.addEventListener("abort", () => reject(new NetworkError()));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

// --- Q&A moderation ---
export type ModerationSettings = Api.ModerationSettings;
