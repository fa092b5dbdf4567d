import { requestJson, type Agency, type JoinResult } from "./api";

// Feedback endpoints of docs/api.md ("Feedback"). Field names are the server's camelCase JSON; these
// interfaces move to the generated OpenAPI types once those land.

export type FeedbackKind = "rating" | "single" | "multiple" | "text";
export type FeedbackWindowState = "not_open" | "open" | "closed";

export interface FeedbackLimits {
  maxQuestions: number;
  questionTextMax: number;
  minOptions: number;
  maxOptions: number;
  optionTextMax: number;
  answerTextMax: number;
  ratingMin: number;
  ratingMax: number;
  speaksForMax: number;
}

export interface FeedbackOption {
  number: number;
  textZh: string;
  textEn: string;
}

export interface FeedbackQuestion {
  number: number;
  kind: FeedbackKind;
  textZh: string;
  textEn: string;
  required: boolean;
  options: FeedbackOption[];
}

export interface FeedbackWindow {
  state: FeedbackWindowState;
  /** ISO with the session's offset. */
  opensAt: string;
  closesAt: string;
  closesAtSet: boolean;
}

export interface FeedbackForm {
  sessionId: number;
  code: string;
  isDefault: boolean;
  locked: boolean;
  responses: number;
  /** Relative: `/feedback.html?code=<code>`. */
  link: string;
  questions: FeedbackQuestion[];
  window: FeedbackWindow;
  limits: FeedbackLimits;
}

export interface FeedbackInvitation {
  sessionId: number;
  code: string;
  title: string;
  hostAgency: Agency;
  invitedAgencies: Agency[];
  timeZone: string;
  window: FeedbackWindow;
  questions: FeedbackQuestion[];
  limits: FeedbackLimits;
}

export interface FeedbackAnswer {
  question: number;
  rating: number | null;
  options: number[];
  text: string | null;
}

export interface FeedbackResponse {
  id: number;
  participantId: number;
  speaksFor: number;
  submittedAt: string;
  updatedAt: string;
  answers: FeedbackAnswer[];
}

export interface MyFeedback {
  sessionId: number;
  participantId: number;
  agencyName: string;
  displayName: string;
  headcount: number;
  window: FeedbackWindow;
  response: FeedbackResponse | null;
}

export interface FeedbackAnswerInput {
  question: number;
  rating?: number | null;
  options?: number[] | null;
  text?: string | null;
}

export interface FeedbackSubmission {
  speaksFor: number | null;
  answers: FeedbackAnswerInput[];
}

export interface FeedbackQuestionInput {
  kind: FeedbackKind;
  textZh: string;
  textEn: string;
  required: boolean;
  options: { textZh: string; textEn: string }[];
}

export interface FeedbackBar {
  rating: number | null;
  option: number | null;
  textZh: string | null;
  textEn: string | null;
  responses: number;
  people: number;
}

export interface FeedbackText {
  responseId: number;
  agencyName: string;
  displayName: string;
  speaksFor: number;
  text: string;
  at: string;
}

export interface FeedbackQuestionResult {
  number: number;
  kind: FeedbackKind;
  textZh: string;
  textEn: string;
  required: boolean;
  answered: number;
  answeredPeople: number;
  /** Each response counted once. */
  average: number | null;
  /** Each response weighted by the people it speaks for. */
  averagePerPerson: number | null;
  distribution: FeedbackBar[];
  texts: FeedbackText[];
}

export interface FeedbackResults {
  sessionId: number;
  window: FeedbackWindow;
  responses: number;
  people: number;
  questions: FeedbackQuestionResult[];
}

const segment = encodeURIComponent;
const base = (sessionId: number) => `/api/sessions/${segment(String(sessionId))}/feedback`;

// Anyone with the code (the feedback link).
export const getFeedbackInvitation = (code: string) => requestJson<FeedbackInvitation>(`/api/feedback/${segment(code)}`);
export const addFeedbackRespondent = (code: string, body: { agencyId: number; displayName: string; headcount: number }) =>
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
