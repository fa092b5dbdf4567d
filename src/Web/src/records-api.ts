import { request, requestJson } from "./api";
import type * as Api from "./generated/api";

// Issue 10, points 6 and 8: certificates and the learning record (docs/api.md, "Certificates",
// "Learning record"). Types come from the server's OpenAPI document.

export type CertificateOverview = Api.CertificateOverview;
export type CertificateCandidate = Api.CertificateCandidate;
export type CertificatesIssued = Api.CertificatesIssued;
export type CertificateVerification = Api.CertificateVerification;
export type MyCertificate = Api.MyCertificate;
export type LearningRecord = Api.LearningRecord;

const certificates = (sessionId: number) => `/api/sessions/${sessionId}/certificates`;

export const getCertificates = (key: string, sessionId: number) => requestJson<CertificateOverview>(certificates(sessionId), { token: key });
export const setCertificateRule = (key: string, sessionId: number, rule: Api.CertificateRule) =>
  requestJson<CertificateOverview>(`${certificates(sessionId)}/rule`, { token: key, method: "PUT", json: rule });
export const issueCertificates = (key: string, sessionId: number) =>
  requestJson<CertificatesIssued>(`${certificates(sessionId)}/issue`, { token: key, method: "POST" });
export const revokeCertificate = (key: string, sessionId: number, code: string, reason: string) =>
  requestJson<CertificateOverview>(`${certificates(sessionId)}/${encodeURIComponent(code)}/revoke`, { token: key, method: "POST", json: { reason } });
export const certificatesZipPath = (sessionId: number) => `${certificates(sessionId)}/all.zip`;
export const getMyCertificates = (token: string, sessionId: number) => requestJson<MyCertificate[]>(`${certificates(sessionId)}/mine`, { token });
export const verifyCertificate = (code: string) => requestJson<CertificateVerification>(`/api/certificates/${encodeURIComponent(code)}`);

export const getRecord = (token: string, sessionId: number) => requestJson<LearningRecord>(`/api/sessions/${sessionId}/record`, { token });
export const recordPdfPath = (sessionId: number, lang: "zh" | "en") => `/api/sessions/${sessionId}/record.pdf?lang=${lang}`;

/** The learning record's page: a participant opens it with its own token, the organiser with the key and the session. */
export const recordPagePath = (token: string, sessionId?: number) =>
  sessionId === undefined ? `/record.html#token=${encodeURIComponent(token)}` : `/record.html#key=${encodeURIComponent(token)}&session=${sessionId}`;

/** Fetches a file that needs a token and returns it with the server's file name. */
export async function fetchFile(path: string, token: string): Promise<{ blob: Blob; name: string | undefined }> {
  const response = await request(path, { token, accept: "*/*" });
  const disposition = response.headers.get("content-disposition") ?? "";
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  let name: string | undefined;
  try {
    name = extended?.[1] ? decodeURIComponent(extended[1].trim()) : undefined;
  } catch {
    name = undefined;
  }
  return { blob: await response.blob(), name };
}
