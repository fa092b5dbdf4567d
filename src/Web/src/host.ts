import { mountAgenda } from "./agenda";
import type { SessionOutline } from "./contract";
import "./style.css";
import { getMySession, uploadDeck } from "./api";

import { showAfterSession } from "./after-session";
import { byId, showEnded, StatusLine, wireCopyButton } from "./dom";
import { ErrorBox } from "./errors";
import { initI18n, setPlain, setText, t } from "./i18n";
import { mountReactions } from "./reactions";
import { LiveSession, type LiveState } from "./live";
import { QuestionList } from "./questions";
import { applyModeratorMode, ModerationPanel } from "./moderation";
import { SlideView } from "./slides";
import { perTab, StorageKeys, takeSecretFromFragment } from "./storage";
import { FeedKinds, FeedStatuses, HubMethods, ParticipantRoles } from "./contract";
import { h } from "./dom";
import { mountHostPolls } from "./polls-host";
import { mountHostPresenting } from "./presenting-host";
import { mountPageDriver } from "./page-driver";
import { Publisher, renderLiveBadge, StageView } from "./video";
import { offerDeckFormats, processingMessage } from "./deck-formats";

initI18n();
const errors = ErrorBox.forPage();

const token = takeSecretFromFragment("token", StorageKeys.hostToken);
if (!token) {
  errors.showMessage("host.noToken");
} else {
  startHost(token);
}

function startHost(token: string): void {
  const title = byId("session-title");
  const joinCode = byId("join-code");
  const viewerLink = byId<HTMLAnchorElement>("viewer-link");
  const gotoInput = byId<HTMLInputElement>("goto-page-input");
  const fileInput = byId<HTMLInputElement>("deck-file");
  const uploadButton = byId<HTMLButtonElement>("upload-deck");
  const progress = byId<HTMLProgressElement>("upload-progress");
  const uploadStatus = new StatusLine(byId("upload-status"));
  const currentDeck = byId("current-deck");

  let sessionId: number | null = null;
  let state: Readonly<LiveState> | null = null;

  wireCopyButton(byId<HTMLButtonElement>("copy-viewer-link"), () => viewerLink.href, viewerLink);

  function showSession(id: number, code: string, sessionTitle: string): void {
    sessionId = id;
    setPlain(title, sessionTitle);
    setText(document.querySelector("title")!, "page.sessionTitle", { title: sessionTitle });
    joinCode.textContent = code;
    const link = `${window.location.origin}/?code=${encodeURIComponent(code)}`;
    viewerLink.href = link;
    viewerLink.textContent = link;
  }

  const slides = new SlideView({ token, onError: (error) => errors.show(error) });
  const questions = new QuestionList(byId<HTMLOListElement>("questions"), byId("no-questions"));

  // --- Video: go live with camera and microphone or share the screen; hands and stage --------------
  const badge = byId("live-badge");
  const preview = byId<HTMLVideoElement>("preview");
  const cameraSelect = byId<HTMLSelectElement>("camera-select");
  const micSelect = byId<HTMLSelectElement>("mic-select");
  const goLiveButton = byId<HTMLButtonElement>("go-live");
  const shareButton = byId<HTMLButtonElement>("share-screen");
  const stopButton = byId<HTMLButtonElement>("stop-live");
  const muteButton = byId<HTMLButtonElement>("mute");
  const cameraOffButton = byId<HTMLButtonElement>("camera-off");
  const publishStatus = new StatusLine(byId("publish-status"));
  const receptionLine = byId("reception");
  const receptionAgencies = byId("reception-agencies");
  const stageView = new StageView({
    container: byId("feeds"),
    notice: byId("video-notice"),
    isMine: (feed) => feed.participantId === live.snapshot?.myParticipantId,
    report: false,
  });
  const publishers = new Map<string, Publisher>();
  const lastStart = new Map<string, number>();
  let muted = false;
  let cameraOff = false;
  const liveKey = StorageKeys.hostLive(token);

  async function listDevices(): Promise<void> {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    const devices = await navigator.mediaDevices.enumerateDevices();
    for (const [select, kind] of [[cameraSelect, "videoinput"], [micSelect, "audioinput"]] as const) {
      const chosen = select.value;
      select.replaceChildren(
        ...devices
          .filter((d) => d.kind === kind)
          .map((d, i) => h("option", { text: d.label || `${kind === "videoinput" ? t("video.camera") : t("video.microphone")} ${i + 1}`, attrs: { value: d.deviceId } })),
      );
      if (chosen) select.value = chosen;
    }
  }

  async function publish(kind: string, stream: MediaStream): Promise<void> {
    await publishers.get(kind)?.stop();
    const publisher = new Publisher(live, kind, stream);
    publishers.set(kind, publisher);
    lastStart.set(kind, Date.now());
    await publisher.start(live.snapshot!.video);
    renderPublishing();
  }

  async function goLive(): Promise<void> {
    errors.clear();
    // The buttons stay disabled until the first snapshot says whether video is configured.
    if (!live.snapshot?.video.configured) return;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: micSelect.value ? { deviceId: { exact: micSelect.value } } : true,
        video: { ...(cameraSelect.value ? { deviceId: { exact: cameraSelect.value } } : {}), width: { ideal: 640 }, height: { ideal: 480 } },
      });
    } catch {
      errors.showMessage("video.devicesFailed");
      return;
    }
    preview.srcObject = stream;
    void listDevices();
    try {
      await publish(FeedKinds.Camera, stream);
      perTab.set(liveKey, "camera");
    } catch (error) {
      errors.show(error);
    }
  }

  async function shareScreen(): Promise<void> {
    errors.clear();
    if (!live.snapshot?.video.configured) return;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch {
      return; // The host cancelled the picker.
    }
    stream.getVideoTracks()[0]?.addEventListener("ended", () => void stopKind(FeedKinds.Screen));
    try {
      await publish(FeedKinds.Screen, stream);
    } catch (error) {
      errors.show(error);
    }
  }

  async function stopKind(kind: string): Promise<void> {
    const publisher = publishers.get(kind);
    publishers.delete(kind);
    await publisher?.stop();
    if (kind === FeedKinds.Camera) {
      preview.srcObject = null;
      perTab.set(liveKey, null);
    }
    renderPublishing();
  }

  function renderPublishing(): void {
    const configured = live.snapshot?.video.configured ?? false;
    const camera = publishers.get(FeedKinds.Camera);
    byId("video-off").hidden = configured;
    goLiveButton.disabled = !configured || !!camera;
    shareButton.disabled = !configured || publishers.has(FeedKinds.Screen);
    cameraSelect.disabled = !configured;
    micSelect.disabled = !configured;
    stopButton.disabled = publishers.size === 0;
    muteButton.disabled = !camera;
    cameraOffButton.disabled = !camera;
    setText(muteButton, muted ? "video.unmuteMic" : "video.mute");
    setText(cameraOffButton, cameraOff ? "video.cameraOn" : "video.cameraOff");
    const mine = live.snapshot?.stage.feeds.filter((f) => f.participantId === live.snapshot?.myParticipantId) ?? [];
    if (publishers.size === 0) publishStatus.set(null);
    else if (mine.some((f) => f.status === FeedStatuses.Live)) publishStatus.set(() => t("video.publishing"));
    else publishStatus.set(() => t("video.resuming"));
  }

  /**
   * Keeps the host on air: a feed the hub marks interrupted (this page's connection dropped, or the
   * video server restarted) is published again, a few seconds apart, until it is live.
   */
  async function keepPublishing(): Promise<void> {
    const state = live.snapshot;
    if (!state || !live.connected) return;
    for (const [kind, publisher] of publishers) {
      const feed = state.stage.feeds.find((f) => f.participantId === state.myParticipantId && f.kind === kind);
      const healthy = feed?.status === FeedStatuses.Live && publisher.connectionState !== "failed" && publisher.connectionState !== "closed";
      if (healthy || Date.now() - (lastStart.get(kind) ?? 0) < 6_000) continue;
      lastStart.set(kind, Date.now());
      try {
        await publisher.start(state.video);
      } catch {
        // Video server still away: the next round tries again.
      }
    }
    renderPublishing();
  }
  window.setInterval(() => void keepPublishing(), 2_000);

  goLiveButton.addEventListener("click", () => void goLive());
  shareButton.addEventListener("click", () => void shareScreen());
  stopButton.addEventListener("click", async () => {
    for (const kind of [...publishers.keys()]) await stopKind(kind);
  });
  muteButton.addEventListener("click", () => {
    muted = !muted;
    publishers.get(FeedKinds.Camera)?.setAudioEnabled(!muted);
    renderPublishing();
  });
  cameraOffButton.addEventListener("click", () => {
    cameraOff = !cameraOff;
    publishers.get(FeedKinds.Camera)?.setVideoEnabled(!cameraOff);
    renderPublishing();
  });
  byId("unmute").addEventListener("click", () => stageView.unmuteAll());

  function renderHands(next: Readonly<LiveState>): void {
    const hands = byId("hands");
    const raised = next.hands?.raised ?? [];
    hands.replaceChildren(
      ...raised.map((hand) => {
        const bring = h("button", { className: "primary", attrs: { type: "button" } });
        setText(bring, "stage.bring");
        bring.addEventListener("click", () => void call(HubMethods.BringOnStage, hand.participantId));
        return h("li", { dataset: { participantId: String(hand.participantId) } }, h("span", { text: `${hand.agencyName}（${hand.city}）· ${hand.displayName}` }), bring);
      }),
    );
    byId("no-hands").hidden = raised.length > 0;
    const onStage = byId("on-stage");
    onStage.replaceChildren(
      ...next.stage.onStage.map((member) => {
        const off = h("button", { attrs: { type: "button" } });
        setText(off, "stage.takeOff");
        off.addEventListener("click", () => void call(HubMethods.TakeOffStage, member.participantId));
        return h("li", { dataset: { participantId: String(member.participantId) } }, h("span", { text: `${member.agencyName}（${member.city}）· ${member.displayName}` }), off);
      }),
    );
    byId("nobody-on-stage").hidden = next.stage.onStage.length > 0;
  }

  async function call(method: typeof HubMethods.BringOnStage | typeof HubMethods.TakeOffStage, participantId: number): Promise<void> {
    errors.clear();
    try {
      await live.invoke(method, participantId);
    } catch (error) {
      errors.show(error);
    }
  }

  function renderReception(next: Readonly<LiveState>): void {
    const reception = next.reception;
    if (!reception || reception.agenciesWatching === 0) {
      receptionLine.textContent = "";
      receptionAgencies.replaceChildren();
      return;
    }
    setText(receptionLine, "video.receiving", { receiving: reception.agenciesReceiving, watching: reception.agenciesWatching });
    receptionAgencies.replaceChildren(
      ...reception.agencies.map((a) => {
        const li = h("li", { dataset: { agency: a.agencyName } });
        setText(li, "video.agencyLine", { name: a.agencyName, playing: a.playing + a.audioOnly, screens: a.screens });
        return li;
      }),
    );
  }

  let updateAgenda: ((next: SessionOutline["agenda"], zone?: string) => void) | null = null;
  const showAgenda = (outline: SessionOutline) => {
    if (updateAgenda) updateAgenda(outline.agenda, outline.timeZone);
    else updateAgenda = mountAgenda(byId("agenda"), outline.timeZone, outline.agenda);
  };

  let moderation: ModerationPanel | null = null;
  let renderPolls: ((state: Readonly<LiveState>) => void) | null = null;
  let renderPresenting: ReturnType<typeof mountHostPresenting> | null = null;
  const live = new LiveSession({
    token,
    onChange: (next, kind) => {
      state = next;
      if (kind === "snapshot") applyModeratorMode(next.role);
      if (kind === "snapshot" || kind === "moderation" || kind === "question" || kind === "votes") moderation?.render(next, kind);
      // Polls are the host's to run (drafts over HTTP with the host link): the moderator link doesn't load them.
      if ((kind === "snapshot" || kind === "polls") && next.role !== ParticipantRoles.Moderator) renderPolls?.(next);
      if (kind === "snapshot" || kind === "outline") {
        showSession(next.sessionId, next.code, next.title);
        showAgenda(next.outline);
      }
      if (kind === "snapshot" || kind === "page" || kind === "deck") {
        slides.show(next.deck, next.currentPage);
        renderNavigation();
        renderPresenting?.(next, kind);
      }
      if (kind === "snapshot" || kind === "question" || kind === "votes") questions.render(next);
      if (kind === "snapshot" || kind === "stage") {
        renderLiveBadge(badge, next);
        stageView.update(next);
        renderPublishing();
      }
      if (kind === "snapshot" || kind === "stage" || kind === "hands") renderHands(next);
      if (kind === "reception") renderReception(next);
      if (kind === "snapshot" && perTab.get(liveKey) === "camera" && !publishers.has(FeedKinds.Camera) && next.video.configured) {
        // This page was live before a reload: go live again, so viewers see the host, not a frozen picture.
        void goLive();
      }
    },
    onReconnected: () => {
      stageView.restartAll();
      for (const kind of publishers.keys()) lastStart.set(kind, 0); // Publish again at the next round.
    },
    onUnauthorised: (error) => errors.show(error),
    onError: (error) => errors.show(error),
    onEnded: (ended) => {
      stageView.stopAll();
      // Off air: the camera and the screen share stop (their light goes out), and nothing restarts them.
      for (const kind of [...publishers.keys()]) void stopKind(kind);
      showEnded(ended.reason === "cancelled" ? "session.cancelled" : "session.ended");
      const first = document.querySelector("main")?.firstElementChild;
      if (ended.reason === "ended" && first instanceof HTMLElement) showAfterSession(token, first, errors, false);
    },
    onStatus: (status) => {
      if (status === "connected") errors.clearConnectionErrors();
    },
  });

  renderPolls = mountHostPolls(byId("host-polls"), live, token, errors);
  renderPresenting = mountHostPresenting(byId("presenting"), live, token, errors);

  // --- Navigation (the same controls as the presenter view) ----------------------------------------
  const pageCount = () => state?.deck?.pageCount ?? 0;
  const renderNavigation = mountPageDriver(live, errors, () => ({ page: state?.currentPage ?? 1, count: pageCount() }), {
    canTurn: () => state?.role !== ParticipantRoles.Moderator, // the moderator link turns no pages
    onRender: () => {
      const count = pageCount();
      if (document.activeElement !== gotoInput) gotoInput.placeholder = count ? String(state?.currentPage ?? "") : "";
      if (state?.deck) {
        setText(currentDeck, "host.currentDeck", { fileName: state.deck.fileName, count: state.deck.pageCount });
        currentDeck.hidden = false;
      } else {
        currentDeck.hidden = true;
      }
    },
  });

  // --- Deck upload --------------------------------------------------------------------------------
  void offerDeckFormats({ input: fileInput, heading: byId("deck-heading"), label: byId("deck-file-label"), hint: byId("deck-formats-hint") });
  fileInput.addEventListener("change", () => uploadStatus.set(null));
  uploadButton.addEventListener("click", async () => {
    errors.clear();
    const file = fileInput.files?.[0];
    if (!file) {
      errors.showMessage("host.chooseFile");
      return;
    }
    if (sessionId === null) {
      errors.showMessage("error.notConnected");
      return;
    }
    uploadButton.disabled = true;
    fileInput.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    uploadStatus.set(() => t("host.uploading", { percent: 0 }));
    try {
      const deck = await uploadDeck(token, sessionId, file, (fraction) => {
        progress.value = fraction;
        const percent = Math.round(fraction * 100);
        uploadStatus.set(() => (fraction >= 1 ? t(processingMessage(file)) : t("host.uploading", { percent })));
      });
      uploadStatus.set(() => t("host.uploaded", { fileName: deck.fileName, count: deck.pageCount }));
      fileInput.value = "";
    } catch (error) {
      uploadStatus.set(null);
      errors.show(error);
    } finally {
      progress.hidden = true;
      uploadButton.disabled = false;
      fileInput.disabled = false;
    }
  });

  // Learn the session (id for uploads, code to read aloud) over HTTP, in parallel with the hub.
  getMySession(token)
    .then((info) => {
      if (sessionId === null) showSession(info.sessionId, info.code, info.title);
    })
    .catch((error) => errors.show(error));

  moderation = new ModerationPanel(byId("moderation"), live, errors);
  renderNavigation();
  stageView.attach(live);
  (window as unknown as { lxStage: StageView }).lxStage = stageView;
  void listDevices();
  mountReactions({ live, overlay: byId("reaction-overlay") });
  void live.start();
}

