import { request, requestJson, type components } from "./api";

// Invitations per agency, registration and the roster (docs/api.md, "Invitations and registration").
// Types come from the server's OpenAPI document.
type Schemas = components["schemas"];
export type Invitation = Schemas["Invitation"];
export type AgencyRegistration = Schemas["AgencyRegistration"];
export type RegistrationRequest = Schemas["RegistrationRequest"];
export type RegistrationLimits = Schemas["RegistrationLimits"];
export type SessionInvitations = Schemas["SessionInvitations"];
export type InvitationSummary = Schemas["InvitationSummary"];
export type InvitationText = Schemas["InvitationText"];
export type ReminderState = Schemas["ReminderState"];
export type SessionRoster = Schemas["SessionRoster"];

/** An invited agency's status: invited | registered | attended | absent. */
export type AgencyStatus = "invited" | "registered" | "attended" | "absent";

const segment = encodeURIComponent;

// Anyone with the invitation link (its token).
export const getInvitation = (token: string) => requestJson<Invitation>(`/api/invitations/${segment(token)}`);
export const register = (token: string, registration: RegistrationRequest) =>
  requestJson<AgencyRegistration>(`/api/invitations/${segment(token)}/registration`, { method: "PUT", json: registration });
export const invitationCalendarPath = (token: string, lang: "zh" | "en") =>
  `/api/invitations/${segment(token)}/invitation.ics?lang=${lang}`;

// Organiser.
const base = (sessionId: number) => `/api/sessions/${segment(String(sessionId))}`;
const one = (sessionId: number, agencyId: number) => `${base(sessionId)}/invitations/${segment(String(agencyId))}`;

export const listInvitations = (key: string, sessionId: number) =>
  requestJson<SessionInvitations>(`${base(sessionId)}/invitations`, { token: key });
export const getRoster = (key: string, sessionId: number) => requestJson<SessionRoster>(`${base(sessionId)}/roster`, { token: key });
export const setReminder = (key: string, sessionId: number, minutes: number) =>
  requestJson<ReminderState>(`${base(sessionId)}/reminder`, { token: key, method: "PUT", json: { minutes } });
export const getInvitationText = (key: string, sessionId: number, agencyId: number, kind: "invitation" | "reminder", lang: "zh" | "en") =>
  requestJson<InvitationText>(`${one(sessionId, agencyId)}/${kind}-text?lang=${lang}`, { token: key });

/** A file the organiser key must fetch (a plain link can't carry it): the QR image or the calendar file. */
export async function getInvitationFile(key: string, sessionId: number, agencyId: number, file: "qr.png" | "qr.svg" | "invitation.ics", lang: "zh" | "en" = "zh"): Promise<Blob> {
  const accept = file === "qr.png" ? "image/png" : file === "qr.svg" ? "image/svg+xml" : "text/calendar";
  const query = file === "invitation.ics" ? `?lang=${lang}` : "";
  const response = await request(`${one(sessionId, agencyId)}/${file}${query}`, { token: key, accept });
  return response.blob();
}
