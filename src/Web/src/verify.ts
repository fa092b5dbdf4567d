import "./style.css";
import { byId, h } from "./dom";
import { ErrorBox } from "./errors";
import { initI18n, onLangChange, setText } from "./i18n";
import { verifyCertificate, type CertificateVerification } from "./records-api";

// /verify.html#code=<code> (the QR code on a certificate goes to /verify/<code>, which lands here): says
// whether a certificate is valid or revoked, with its holder, session, date and hours, and nothing else.

initI18n();
const errors = ErrorBox.forPage();
const form = byId<HTMLFormElement>("verify-form");
const input = byId<HTMLInputElement>("verify-code");
const result = byId("verify-result");
let shown: CertificateVerification | null = null;

function line(className: string, render: (element: HTMLElement) => void): HTMLElement {
  const element = h("p", { className });
  render(element);
  return element;
}

function draw(): void {
  if (!shown) return;
  const v = shown;
  const valid = v.status === "valid";
  result.dataset.status = v.status;
  result.replaceChildren(
    line(`verify-status ${valid ? "ok" : "revoked"}`, (e) => setText(e, valid ? "verify.valid" : "verify.revoked")),
    v.holderName !== null
      ? line("verify-holder", (e) => setText(e, "verify.holder", { name: v.holderName ?? "" }))
      : line("verify-holder hint", (e) => setText(e, "verify.nameRemoved")),
    line("verify-session", (e) => setText(e, "verify.session", { title: v.sessionTitle })),
    line("verify-date", (e) => setText(e, "verify.date", { date: v.sessionDate })),
    line("verify-hours", (e) => setText(e, "verify.hours", { hours: String(v.ceHours) })),
    h("p", { className: "verify-code small", text: v.code }),
  );
  result.hidden = false;
}
onLangChange(draw);

async function check(code: string): Promise<void> {
  errors.clear();
  result.hidden = true;
  shown = null;
  const clean = code.replace(/[^0-9a-z]/gi, "").toUpperCase();
  if (!clean) return;
  input.value = clean;
  try {
    shown = await verifyCertificate(clean);
    draw();
  } catch (error) {
    errors.show(error);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void check(input.value);
});

const fromLink = new URLSearchParams(window.location.hash.slice(1)).get("code");
if (fromLink) void check(fromLink);
