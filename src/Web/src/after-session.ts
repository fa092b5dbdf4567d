import { getMySession } from "./api";
import { h, saveBlob } from "./dom";
import type { ErrorBox } from "./errors";
import { setText } from "./i18n";
import { fetchFile, getMyCertificates, recordPagePath } from "./records-api";

// After the end, the viewer page offers what the session left (issue 10, points 6 and 8): the learning
// record to forward to colleagues, and this screen's certificates once the organiser has issued them.

let shown = false;

/** `certificates`: false for the host page (the host presents; certificates are for the screens that attended). */
export function showAfterSession(token: string, before: HTMLElement, errors: ErrorBox, certificates = true): void {
  if (shown) return;
  shown = true;
  const record = h("a", { className: "button-like record-link", attrs: { href: recordPagePath(token), target: "_blank", rel: "noopener" } });
  setText(record, "viewer.afterEnd.record");
  const list = h("div", { className: "my-certificates" });
  const check = h("button", { className: "my-certificates-check", attrs: { type: "button" } });
  check.hidden = !certificates;
  setText(check, "viewer.afterEnd.certificates");
  const heading = h("h2");
  setText(heading, "viewer.afterEnd.heading");
  const card = h("section", { className: "card after-session", attrs: { id: "after-session" } }, heading, h("div", { className: "actions" }, record, check), list);
  before.before(card);

  check.addEventListener("click", async () => {
    errors.clear();
    try {
      const { sessionId } = await getMySession(token);
      const mine = await getMyCertificates(token, sessionId);
      if (mine.length === 0) {
        const none = h("p", { className: "hint" });
        setText(none, "viewer.afterEnd.noCertificates");
        list.replaceChildren(none);
        return;
      }
      list.replaceChildren(
        ...mine.map((c) => {
          const download = h("button", { className: "my-certificate", attrs: { type: "button" }, dataset: { code: c.code } });
          setText(download, "viewer.afterEnd.certificate", { name: c.holderName });
          download.addEventListener("click", async () => {
            try {
              const file = await fetchFile(c.download, token);
              saveBlob(file.blob, file.name ?? `${c.code}.pdf`);
            } catch (error) {
              errors.show(error);
            }
          });
          return download;
        }),
      );
    } catch (error) {
      errors.show(error);
    }
  });
}
