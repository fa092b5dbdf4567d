import type { SessionScheduled } from "./api";
import { h, saveBlob } from "./dom";
import { ErrorBox } from "./errors";
import { formatDateTime, onLangChange, setText, t, type MessageKey } from "./i18n";
import {
  certificatesZipPath,
  fetchFile,
  getCertificates,
  issueCertificates,
  recordPagePath,
  revokeCertificate,
  setCertificateRule,
  type CertificateCandidate,
  type CertificateOverview,
} from "./records-api";

// The organiser's certificates panel for one session (issue 10, point 6): the rule and CE hours, every
// person with presence, feedback and eligibility, issuing after the end, the zip of PDFs and revocation.
// Also the link to the session's learning record (point 8).

function translated<K extends keyof HTMLElementTagNameMap>(tag: K, key: MessageKey, params?: Record<string, string | number>, className?: string) {
  const element = h(tag, { className });
  setText(element, key, params);
  return element;
}

/** Renders the panel of `session` into `container` and loads its figures. */
export function renderCertificatesPanel(key: string, session: SessionScheduled, container: HTMLElement): void {
  const errorElement = h("div", { className: "error", attrs: { role: "alert" } });
  const errors = new ErrorBox(errorElement);
  const status = h("p", { className: "ok cert-status", attrs: { role: "status" } });
  const minPercent = h("input", { className: "cert-min-percent", attrs: { type: "number", min: "1", max: "100", step: "1", value: "80" } });
  const feedbackRequired = h("input", { className: "cert-feedback-required", attrs: { type: "checkbox" } });
  const ceHours = h("input", { className: "cert-ce-hours", attrs: { type: "number", min: "0.25", max: "24", step: "0.25", value: "2" } });
  const save = translated("button", "org.cert.saveRule", undefined, "cert-save-rule");
  save.setAttribute("type", "button");
  const issue = translated("button", "org.cert.issue", undefined, "cert-issue primary");
  issue.setAttribute("type", "button");
  const zip = translated("button", "org.cert.downloadAll", undefined, "cert-download-all");
  zip.setAttribute("type", "button");
  const record = h("a", { className: "button-like record-link", attrs: { href: recordPagePath(key, session.id), target: "_blank", rel: "noopener" } });
  setText(record, "org.record.open");
  const windowLine = h("p", { className: "hint cert-window" });
  const fontLine = translated("p", "org.cert.noFont", undefined, "error cert-no-font");
  fontLine.hidden = true;
  const table = h("div", { className: "cert-people" });
  const label = (input: HTMLElement, key: MessageKey) => h("label", { className: "inline" }, translated("span", key), " ", input);

  container.replaceChildren(
    errorElement,
    status,
    h("div", { className: "cert-rule actions" }, label(minPercent, "org.cert.minPercent"), label(feedbackRequired, "org.cert.feedbackRequired"),
      label(ceHours, "org.cert.ceHours"), save),
    windowLine,
    fontLine,
    h("div", { className: "actions" }, issue, zip, record),
    table,
  );

  let overview: CertificateOverview | null = null;

  const draw = () => {
    if (!overview) return;
    const o = overview;
    setText(windowLine, "org.cert.window", { from: formatDateTime(o.window.from, session.timeZone), to: formatDateTime(o.window.to, session.timeZone) });
    fontLine.hidden = o.fontAvailable;
    issue.disabled = !o.sessionEnded;
    issue.title = o.sessionEnded ? "" : t("org.cert.notEnded");
    zip.disabled = !o.people.some((p) => p.certificate && !p.certificate.revokedAt);
    if (o.people.length === 0) {
      table.replaceChildren(translated("p", "org.cert.noPeople", undefined, "hint"));
      return;
    }
    const columns: MessageKey[] = ["org.cert.col.name", "org.cert.col.agency", "org.cert.col.present", "org.cert.col.feedback", "org.cert.col.eligible", "org.cert.col.code", "org.cert.col.status"];
    table.replaceChildren(
      h(
        "table",
        { className: "cert-table" },
        h("thead", {}, h("tr", {}, ...columns.map((c) => translated("th", c)), h("th"))),
        h("tbody", {}, ...o.people.map(row)),
      ),
    );
  };

  const row = (p: CertificateCandidate): HTMLElement => {
    const c = p.certificate;
    const state = h("td", { className: "cert-state" });
    if (c?.revokedAt) setText(state, "org.cert.revokedWith", { reason: c.revokeReason ?? "" });
    else if (c) setText(state, "org.cert.valid");
    const revoke = translated("button", "org.cert.revoke", undefined, "cert-revoke");
    revoke.setAttribute("type", "button");
    revoke.hidden = !c || !!c.revokedAt;
    revoke.addEventListener("click", async () => {
      if (!c) return;
      const reason = window.prompt(t("org.cert.revokePrompt", { name: p.name }));
      if (reason === null) return;
      errors.clear();
      try {
        overview = await revokeCertificate(key, session.id, c.code, reason);
        draw();
      } catch (error) {
        errors.show(error);
      }
    });
    return h(
      "tr",
      { dataset: { name: p.name } },
      h("td", { text: p.name }),
      h("td", { text: p.agencyName }),
      h("td", { text: `${p.presentPercent}%` }),
      translated("td", p.feedbackGiven ? "org.cert.yes" : "org.cert.no"),
      translated("td", p.eligible ? "org.cert.yes" : "org.cert.no", undefined, p.eligible ? "cert-eligible" : "cert-not-eligible"),
      h("td", { className: "cert-code", text: c?.code ?? "" }),
      state,
      h("td", {}, revoke),
    );
  };
  onLangChange(draw);

  const fill = (o: CertificateOverview) => {
    overview = o;
    if (o.rule) {
      minPercent.value = String(o.rule.minPercent);
      feedbackRequired.checked = o.rule.feedbackRequired;
      ceHours.value = String(o.rule.ceHours);
    }
    draw();
  };

  save.addEventListener("click", async () => {
    errors.clear();
    try {
      fill(await setCertificateRule(key, session.id, {
        minPercent: Number(minPercent.value),
        feedbackRequired: feedbackRequired.checked,
        ceHours: Number(ceHours.value),
      }));
      setText(status, "org.cert.ruleSaved");
    } catch (error) {
      errors.show(error);
    }
  });

  issue.addEventListener("click", async () => {
    errors.clear();
    try {
      const issued = await issueCertificates(key, session.id);
      fill(issued.overview);
      setText(status, "org.cert.issued", { added: issued.added, valid: issued.valid });
    } catch (error) {
      errors.show(error);
    }
  });

  zip.addEventListener("click", async () => {
    errors.clear();
    try {
      const file = await fetchFile(certificatesZipPath(session.id), key);
      saveBlob(file.blob, file.name ?? "certificates.zip");
    } catch (error) {
      errors.show(error);
    }
  });

  // The rule's fields wait for the stored rule: loading it would overwrite what was typed meanwhile.
  const editable = [minPercent, feedbackRequired, ceHours, save];
  for (const element of editable) element.disabled = true;
  void getCertificates(key, session.id).then((o) => {
    fill(o);
    for (const element of editable) element.disabled = false;
  }, (error: unknown) => errors.show(error));
}

const openPanels = new Set<number>();

/** The "Certificates" button and its panel for a session's card; the panel stays open across re-renders. */
export function certificatesSection(key: string, session: SessionScheduled): { toggle: HTMLButtonElement; panel: HTMLElement } {
  const open = openPanels.has(session.id);
  const toggle = h("button", { className: "certificates-toggle", attrs: { type: "button", "aria-expanded": String(open) } });
  setText(toggle, open ? "org.cert.hide" : "org.cert.show");
  const panel = h("div", { className: "certificates-panel", attrs: { id: `certificates-${session.id}` } });
  toggle.setAttribute("aria-controls", panel.id);
  panel.hidden = !open;
  toggle.addEventListener("click", () => {
    const opening = !openPanels.has(session.id);
    if (opening) openPanels.add(session.id);
    else openPanels.delete(session.id);
    panel.hidden = !opening;
    toggle.setAttribute("aria-expanded", String(opening));
    setText(toggle, opening ? "org.cert.hide" : "org.cert.show");
    if (opening) renderCertificatesPanel(key, session, panel);
    else panel.replaceChildren();
  });
  if (open) renderCertificatesPanel(key, session, panel);
  return { toggle, panel };
}
