import { requestJson, type components, type JoinResult } from "./api";

// Feedback endpoints of docs/api.md ("Feedback"); the types are generated from the server's OpenAPI document.

type Schemas = components["schemas"];
export type FeedbackKind = "rating" | "single" | "multiple" | "text";
export type FeedbackWindowState = "not_open" | "open" | "closed" | "cancelled";
export type FeedbackLimits = Schemas["FeedbackLimits"];
export type FeedbackOption = Schemas["FeedbackOption"];
export type FeedbackQuestion = Schemas["FeedbackQuestion"];
export type FeedbackWindow = Schemas["FeedbackWindow"];
export type FeedbackForm = Schemas["FeedbackForm"];
export type FeedbackInvitation = Schemas["FeedbackInvitation"];
export type FeedbackAnswer = Schemas["FeedbackAnswer"];
export type FeedbackResponse = Schemas["FeedbackResponse"];
export type MyFeedback = Schemas["MyFeedback"];
export type FeedbackAnswerInput = Schemas["FeedbackAnswerInput"];
export type FeedbackSubmission = Schemas["FeedbackSubmission"];
export type FeedbackQuestionInput = Schemas["FeedbackQuestionInput"];
export type FeedbackRespondent = Schemas["FeedbackRespondent"];
export type FeedbackBar = Schemas["FeedbackBar"];
export type FeedbackText = Schemas["FeedbackText"];
export type FeedbackQuestionResult = Schemas["FeedbackQuestionResult"];
export type FeedbackResults = Schemas["FeedbackResults"];

const segment = encodeURIComponent;
const base = (sessionId: number) => `/api/sessions/${segment(String(sessionId))}/feedback`;

// Anyone with the code (the feedback link).
export const getFeedbackInvitation = (code: string) => requestJson<FeedbackInvitation>(`/api/feedback/${segment(code)}`);
export const addFeedbackRespondent = (code: string, body: FeedbackRespondent) =>
  requestJson<JoinResult>(`/api/feedback/${segment(code)}/respondents`, { json: body });

// The respondent (participant token).
export const getMyFeedback = (token: string, sessionId: number) => requestJson<MyFeedback>(`${base(sessionId)}/response`, { token });
export const submitFeedback = (token: string, sessionId: number, body: FeedbackSubmission, edit: boolean) =>
  requestJson<FeedbackResponse>(`${base(sessionId)}/response`, { token, json: body, method: edit ? "PUT" : "POST" });

// Organiser.
export const getFeedbackForm = (key: string, sessionId: number) => requestJson<FeedbackForm>(`${base(sessionId)}/form`, { token: key });
export const saveFeedbackForm = (key: string, sessionId: number, questions: FeedbackQuestionInput[]) =>
  requestJson<FeedbackForm>(`${base(sessionId)}/form`, { token: key, json: { questions }, method: "PUT" });
export const setFeedbackClosesAt = (key: string, sessionId: number, closesAt: string | null) =>
  requestJson<FeedbackWindow>(`${base(sessionId)}/window`, { token: key, json: { closesAt }, method: "PUT" });
export const closeFeedback = (key: string, sessionId: number) =>
  requestJson<FeedbackWindow>(`${base(sessionId)}/close`, { token: key, method: "POST" });
export const getFeedbackResults = (key: string, sessionId: number, signal?: AbortSignal) =>
  requestJson<FeedbackResults>(`${base(sessionId)}/results`, { token: key, signal });

/** A question's or option's text in the page's language (the server has filled both). */
export function textIn(lang: "zh" | "en", item: { textZh: string | null; textEn: string | null }): string {
  return (lang === "en" ? item.textEn || item.textZh : item.textZh || item.textEn) ?? "";
}
