// Live picture and sound through the media server (Janus). The hub is the only one that talks to Janus:
// this module sends it SDP and ICE candidates and gets Janus's answers and offers back. A publisher is
// the host's camera or screen, or an agency brought on stage; a watcher is one subscription to a feed.

import { FeedKinds, FeedStatuses, HubMethods, ReceptionStates, WatchQualities, type ReceptionState, type StageFeed, type VideoSettings, type WatchQuality } from "./contract";
import { h } from "./dom";
import { errorCode } from "./errors";
import { setText, t } from "./i18n";
import type { LiveSession, LiveState } from "./live";

function rtcConfig(video: VideoSettings): RTCConfiguration {
  return {
    iceServers: video.iceServers.map((s) => ({ urls: s.urls, username: s.username ?? undefined, credential: s.credential ?? undefined })),
    bundlePolicy: "max-bundle",
  };
}

/** Sends this connection's ICE candidates for one Janus handle, queued until the handle is known. */
class CandidateSender {
  private handleId: number | null = null;
  private queue: (RTCIceCandidate | null)[] = [];

  constructor(private readonly live: LiveSession) {}

  add(candidate: RTCIceCandidate | null): void {
    if (this.handleId === null) this.queue.push(candidate);
    else this.send(candidate);
  }

  ready(handleId: number): void {
    this.handleId = handleId;
    for (const candidate of this.queue.splice(0)) this.send(candidate);
  }

  private send(candidate: RTCIceCandidate | null): void {
    const body = candidate
      ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex }
      : { candidate: null, sdpMid: null, sdpMLineIndex: null };
    this.live.invoke(HubMethods.SendCandidate, this.handleId, body).catch(() => {
      // A lost candidate only costs a path; the others (or the next negotiation) carry on.
    });
  }
}

/** Publishes one local stream (camera or screen) through the hub. */
export class Publisher {
  private pc: RTCPeerConnection | null = null;
  feedId: number | null = null;

  constructor(
    private readonly live: LiveSession,
    readonly kind: string,
    readonly stream: MediaStream,
  ) {}

  /** Negotiates with Janus through the hub; can be called again to publish anew (after a reconnect). */
  async start(video: VideoSettings): Promise<void> {
    this.close();
    const pc = new RTCPeerConnection(rtcConfig(video));
    this.pc = pc;
    const candidates = new CandidateSender(this.live);
    pc.onicecandidate = (event) => candidates.add(event.candidate);
    const audio = this.stream.getAudioTracks()[0];
    const picture = this.stream.getVideoTracks()[0];
    if (audio) pc.addTransceiver(audio, { direction: "sendonly", streams: [this.stream] });
    if (picture) {
      // Three simulcast layers, largest first (Janus's default rid order): a viewer on a weak line
      // gets the quarter-size layer instead of a frozen picture. A screen is sent as one sharp layer.
      pc.addTransceiver(picture, {
        direction: "sendonly",
        streams: [this.stream],
        sendEncodings:
          this.kind === FeedKinds.Camera
            ? [
                { rid: "h", maxBitrate: 900_000 },
                { rid: "m", maxBitrate: 300_000, scaleResolutionDownBy: 2 },
                { rid: "l", maxBitrate: 100_000, scaleResolutionDownBy: 4 },
              ]
            : [{ maxBitrate: 1_200_000 }],
      });
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const answer = await this.live.invoke(HubMethods.Publish, { kind: this.kind, sdp: pc.localDescription!.sdp });
    if (this.pc !== pc) return; // Stopped meanwhile.
    this.feedId = answer.feedId;
    candidates.ready(answer.handleId);
    await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
  }

  get connectionState(): RTCPeerConnectionState | "closed" {
    return this.pc?.connectionState ?? "closed";
  }

  setAudioEnabled(enabled: boolean): void {
    for (const track of this.stream.getAudioTracks()) track.enabled = enabled;
  }

  setVideoEnabled(enabled: boolean): void {
    for (const track of this.stream.getVideoTracks()) track.enabled = enabled;
  }

  /** Stops publishing: tells the hub, closes the connection and the devices. */
  async stop(): Promise<void> {
    this.close();
    for (const track of this.stream.getTracks()) track.stop();
    try {
      await this.live.invoke(HubMethods.Unpublish, this.kind);
    } catch {
      // The hub ends the feed itself when this connection closes.
    }
  }

  private close(): void {
    this.pc?.close();
    this.pc = null;
  }
}

/** One subscription to a feed, rendered into a media element. */
export class Watcher {
  private pc: RTCPeerConnection | null = null;
  private handleId: number | null = null;
  private stopped = false;
  failed = false;

  constructor(
    private readonly live: LiveSession,
    readonly feed: StageFeed,
    public quality: WatchQuality,
    readonly element: HTMLVideoElement,
  ) {}

  async start(video: VideoSettings): Promise<void> {
    this.failed = false;
    const pc = new RTCPeerConnection(rtcConfig(video));
    this.pc = pc;
    const candidates = new CandidateSender(this.live);
    pc.onicecandidate = (event) => candidates.add(event.candidate);
    const stream = new MediaStream();
    pc.ontrack = (event) => {
      stream.addTrack(event.track);
      this.element.srcObject = stream;
      void playWithSound(this.element);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed") this.failed = true;
    };
    try {
      const offer = await this.live.invoke(HubMethods.Watch, this.feed.feedId, this.quality);
      if (this.stopped) {
        this.release(offer.handleId);
        return;
      }
      this.handleId = offer.handleId;
      candidates.ready(offer.handleId);
      await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await this.live.invoke(HubMethods.StartWatching, offer.handleId, pc.localDescription!.sdp);
    } catch (error) {
      this.failed = true;
      throw error;
    }
  }

  /** Auto and low switch layers in place; audio only (or back) subscribes again. */
  async setQuality(quality: WatchQuality, video: VideoSettings): Promise<void> {
    const resubscribe = quality === WatchQualities.AudioOnly || this.quality === WatchQualities.AudioOnly;
    this.quality = quality;
    if (resubscribe || this.handleId === null) {
      this.close();
      this.stopped = false;
      await this.start(video);
    } else {
      await this.live.invoke(HubMethods.SetQuality, this.handleId, quality);
    }
  }

  get connectionState(): RTCPeerConnectionState | "closed" {
    return this.pc?.connectionState ?? "closed";
  }

  /** Inbound RTP statistics of this subscription, for the reception report and the tests. */
  async stats(): Promise<{ framesDecoded: number; audioPackets: number; audioBytes: number; videoBytes: number; width: number }> {
    const result = { framesDecoded: 0, audioPackets: 0, audioBytes: 0, videoBytes: 0, width: 0 };
    if (!this.pc) return result;
    (await this.pc.getStats()).forEach((report) => {
      if (report.type !== "inbound-rtp") return;
      if (report.kind === "video") {
        result.framesDecoded += report.framesDecoded ?? 0;
        result.videoBytes += report.bytesReceived ?? 0;
        result.width = Math.max(result.width, report.frameWidth ?? 0);
      } else if (report.kind === "audio") {
        result.audioPackets += report.packetsReceived ?? 0;
        result.audioBytes += report.bytesReceived ?? 0;
      }
    });
    return result;
  }

  stop(): void {
    this.stopped = true;
    this.close();
  }

  private close(): void {
    this.pc?.close();
    this.pc = null;
    if (this.handleId !== null) this.release(this.handleId);
    this.handleId = null;
  }

  private release(handleId: number): void {
    this.live.invoke(HubMethods.StopWatching, handleId).catch(() => {
      // Gone already (a reconnect drops every handle of the old connection).
    });
  }
}

/** Plays with sound where the browser allows it; otherwise muted, and the page offers an unmute button. */
async function playWithSound(element: HTMLVideoElement): Promise<void> {
  try {
    await element.play();
  } catch {
    element.muted = true;
    document.body.classList.add("needs-unmute");
    try {
      await element.play();
    } catch {
      // Not even muted playback: the next user gesture starts it.
    }
  }
}

export interface StageViewOptions {
  /** Where the tiles go. */
  container: HTMLElement;
  /** A line saying what is going on (not configured, not live, interrupted). */
  notice: HTMLElement;
  /** This screen's own participant: its own feeds are not watched. */
  isMine: (feed: StageFeed) => boolean;
  /** Reports reception (viewers only). */
  report: boolean;
}

/**
 * Watches every live feed on stage except this screen's own, one tile each, and says when the video is
 * not configured, not started, or interrupted. It also reports what this screen receives.
 */
export class StageView {
  private readonly watchers = new Map<number, { watcher: Watcher; tile: HTMLElement }>();
  private quality: WatchQuality = WatchQualities.Auto;
  private state: Readonly<LiveState> | null = null;
  private lastReported: ReceptionState | null = null;
  private readonly retry = new Map<number, number>();

  private live: LiveSession | null = null;

  constructor(private readonly options: StageViewOptions) {
    window.setInterval(() => void this.tick(), 2_000);
  }

  /** The session to signal through (made after the view, since its events drive the view). */
  attach(live: LiveSession): void {
    this.live = live;
  }

  /** Statistics of every subscription: what the page actually receives (diagnostics and tests). */
  async receiving(): Promise<{ feedId: number; kind: string; quality: string; framesDecoded: number; audioPackets: number; audioBytes: number; videoBytes: number; width: number; videoWidth: number }[]> {
    return Promise.all(
      [...this.watchers.values()].map(async ({ watcher }) => ({
        feedId: watcher.feed.feedId,
        kind: watcher.feed.kind,
        quality: watcher.quality,
        videoWidth: watcher.element.videoWidth,
        ...(await watcher.stats()),
      })),
    );
  }

  get currentQuality(): WatchQuality {
    return this.quality;
  }

  /** Every watcher, for the tests' statistics. */
  get activeWatchers(): Watcher[] {
    return [...this.watchers.values()].map((w) => w.watcher);
  }

  update(state: Readonly<LiveState>): void {
    this.state = state;
    if (!this.live) return;
    const video = state.video;
    const wanted = video.configured
      ? state.stage.feeds.filter((f) => f.status === FeedStatuses.Live && !this.options.isMine(f))
      : [];
    const wantedIds = new Set(wanted.map((f) => f.feedId));
    for (const [feedId, entry] of this.watchers) {
      if (!wantedIds.has(feedId)) {
        entry.watcher.stop();
        entry.tile.remove();
        this.watchers.delete(feedId);
      }
    }
    for (const feed of wanted) {
      if (!this.watchers.has(feed.feedId)) this.watch(feed);
    }
    this.renderNotice();
  }

  /** The session is over for this screen: stop watching everything and forget the state. */
  stopAll(): void {
    for (const entry of this.watchers.values()) {
      entry.watcher.stop();
      entry.tile.remove();
    }
    this.watchers.clear();
    this.state = null;
  }

  /** After a reconnect every subscription belongs to a dead connection: start them all again. */
  restartAll(): void {
    for (const entry of this.watchers.values()) {
      entry.watcher.stop();
      entry.tile.remove();
    }
    this.watchers.clear();
    if (this.state) this.update(this.state);
  }

  async setQuality(quality: WatchQuality): Promise<void> {
    this.quality = quality;
    document.body.dataset.quality = quality;
    if (!this.state) return;
    await Promise.all([...this.watchers.values()].map((w) => w.watcher.setQuality(quality, this.state!.video).catch(() => undefined)));
  }

  unmuteAll(): void {
    for (const { watcher } of this.watchers.values()) {
      watcher.element.muted = false;
      void watcher.element.play().catch(() => undefined);
    }
    document.body.classList.remove("needs-unmute");
  }

  private watch(feed: StageFeed): void {
    const element = h("video", { className: "feed-video" });
    element.autoplay = true;
    element.playsInline = true;
    // Agency names are user text: set as text, never as markup.
    const label = h("figcaption", {
      className: "feed-label",
      text: feed.kind === FeedKinds.Screen ? t("video.screenOf", { name: feed.agencyName }) : feed.agencyName,
    });
    const tile = h("figure", { className: "feed-tile", dataset: { feedId: String(feed.feedId), kind: feed.kind } }, element, label);
    this.options.container.append(tile);
    const watcher = new Watcher(this.live!, feed, this.quality, element);
    this.watchers.set(feed.feedId, { watcher, tile });
    watcher.start(this.state!.video).catch((error) => {
      // Not live yet, or the video server is between restarts: the next tick tries again.
      if (errorCode(error) !== "feed_not_found") console.warn("watch failed", error);
    });
  }

  private async tick(): Promise<void> {
    // Subscriptions that failed are retried, a few seconds apart.
    for (const [feedId, entry] of this.watchers) {
      if (entry.watcher.failed || entry.watcher.connectionState === "failed") {
        const tries = (this.retry.get(feedId) ?? 0) + 1;
        this.retry.set(feedId, tries);
        entry.watcher.stop();
        entry.tile.remove();
        this.watchers.delete(feedId);
        if (this.state) this.update(this.state);
      }
    }
    if (this.options.report) await this.report();
  }

  /** What this screen receives, sent to the hub when it changes. */
  private async report(): Promise<void> {
    let state: ReceptionState = ReceptionStates.Idle;
    const entries = [...this.watchers.values()];
    if (entries.length > 0) {
      const main = entries[0].watcher;
      const element = main.element;
      if (main.failed || main.connectionState === "failed") state = ReceptionStates.Failed;
      else if (this.quality === WatchQualities.AudioOnly) state = main.connectionState === "connected" ? ReceptionStates.AudioOnly : ReceptionStates.Buffering;
      else if (element.readyState >= 2 && !element.paused && element.videoWidth > 0) state = ReceptionStates.Playing;
      else state = ReceptionStates.Buffering;
    }
    document.body.dataset.reception = state;
    if (state === this.lastReported || !this.live?.connected) return;
    try {
      await this.live.invoke(HubMethods.ReportReception, state);
      this.lastReported = state;
    } catch {
      // Sent again on the next tick.
    }
  }

  private renderNotice(): void {
    const state = this.state;
    if (!state) return;
    const notice = this.options.notice;
    const feeds = state.stage.feeds;
    const interrupted = feeds.find((f) => f.status === FeedStatuses.Interrupted && !this.options.isMine(f));
    const live = feeds.some((f) => f.status === FeedStatuses.Live);
    document.body.dataset.live = live ? "live" : interrupted ? "interrupted" : "off";
    if (!state.video.configured) setText(notice, "video.notConfigured");
    else if (interrupted && !feeds.some((f) => f.status === FeedStatuses.Live && !this.options.isMine(f)))
      setText(notice, "video.interrupted", { name: interrupted.agencyName });
    else if (!live) setText(notice, "video.notLive");
    else {
      notice.textContent = "";
    }
    notice.hidden = notice.textContent === "";
  }
}

/** The "● live" badge every page shows while anything is on air, and "interrupted" when it stopped. */
export function renderLiveBadge(badge: HTMLElement, state: Readonly<LiveState>): void {
  const feeds = state.stage.feeds;
  if (feeds.some((f) => f.status === FeedStatuses.Live)) {
    badge.dataset.live = "live";
    setText(badge, "video.liveBadge");
  } else if (feeds.some((f) => f.status === FeedStatuses.Interrupted)) {
    badge.dataset.live = "interrupted";
    setText(badge, "video.interruptedBadge");
  } else {
    badge.dataset.live = "off";
    badge.textContent = "";
  }
  badge.hidden = badge.textContent === "";
}
