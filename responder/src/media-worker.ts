import type { Bus, Consumer, HandlerContext } from "@flank/shared/bus";
import {
  createEvent,
  type EventOf,
  type FlankEvent,
  GROUPS,
  type InboundMessageData,
} from "@flank/shared/contract";
import { FlankError } from "@flank/shared/errors";
import type { Logger } from "@flank/shared/log";
import { type MediaMeta, type MediaStore, mediaLimit, mediaTypeOf } from "@flank/shared/media";
import { downloadMedia, MediaFetchError, type OpenStream } from "./media-download.js";
import type { TenantLookup } from "./sender-worker.js";
import { audioFilename, type Transcriber } from "./transcriber.js";

export interface MediaWorkerDeps {
  bus: Bus;
  store: MediaStore;
  tenants: TenantLookup;
  /** GRAPH_API_BASE. */
  graphBase: string;
  /** MEDIA_TIMEOUT_MS: one download. */
  timeoutMs: number;
  /** TRANSCRIBE_MODEL's transcriber; voice notes and audio are not transcribed without it. */
  transcriber?: Transcriber;
  /**
   * The router reads `inbound.understood` (config.media.beforeRouting): every inbound message is
   * passed on after its media step, in order per conversation, even when the media failed.
   */
  beforeRouting: boolean;
  /** BUS_MAX_ATTEMPTS: on the last attempt a message is passed on without its media rather than held. */
  maxAttempts: number;
  log: Logger;
  open?: OpenStream;
}

type Inbound = EventOf<"inbound.message"> | EventOf<"media.requested">;

/** A failure no retry can help (the bus reads FlankError's flag the same way). */
const isPermanent = (err: unknown): boolean => err instanceof FlankError && !err.retryable;

/**
 * Consumes `media.requested` (group `media`; every `inbound.message` with `beforeRouting`), off
 * the webhook path: downloads each media file through the Graph API into the media store,
 * transcribes voice notes and audio when TRANSCRIBE_MODEL is set, and publishes `media.stored`;
 * with `beforeRouting`, it then publishes every message as `inbound.understood` for the router
 * (docs/media.md). Failures are retried by the bus (redelivery with backoff, then `dlq`): the one
 * retry mechanism.
 */
export class MediaWorker {
  private consumer: Consumer | undefined;

  constructor(private readonly deps: MediaWorkerDeps) {}

  async start(): Promise<void> {
    this.consumer = await this.deps.bus.consume({
      // Before routing it passes every message on; after it, only media messages need it.
      topic: this.deps.beforeRouting ? "inbound.message" : "media.requested",
      group: GROUPS.media,
      handler: (event, ctx) => this.handle(event, ctx),
    });
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    await this.consumer?.close({ timeoutMs });
  }

  async handle(event: FlankEvent, ctx: Pick<HandlerContext, "attempt">): Promise<void> {
    if (event.type !== "inbound.message" && event.type !== "media.requested") return;
    const log = this.deps.log.child({ eventId: event.id, conversationId: event.conversationId });
    let message = event.data;
    const limit = mediaLimit(message);
    if (limit !== undefined) {
      const lastAttempt = ctx.attempt >= this.deps.maxAttempts;
      try {
        message = await this.keep(event, limit, lastAttempt, log);
      } catch (err) {
        const lastTry = isPermanent(err) || lastAttempt;
        // Without the pipeline the bus retries, then dead-letters; with it, the message must reach
        // the router in the end, so the last attempt passes it on without the file.
        if (!this.deps.beforeRouting || !lastTry) throw err;
        log.warn(
          { err, mediaId: message.media?.id, attempt: ctx.attempt },
          "media not kept; message passed on without it",
        );
      }
    }
    if (this.deps.beforeRouting) {
      await this.deps.bus.publish(
        createEvent({
          type: "inbound.understood",
          tenant: event.tenant,
          conversationId: event.conversationId,
          data: message,
        }),
        { dedupKeys: [`understood:${event.id}`] },
      );
    }
  }

  /**
   * Stores the file (once: a redelivery finds it stored), transcribes it, and says where it is. A
   * transcription that fails for good (or on the last attempt) leaves the file stored, without words.
   */
  private async keep(
    event: Inbound,
    maxBytes: number,
    lastAttempt: boolean,
    log: Logger,
  ): Promise<InboundMessageData> {
    const message = event.data;
    const media = message.media as NonNullable<InboundMessageData["media"]>;
    const type = mediaTypeOf(message) ?? "document";
    const started = Date.now();
    let meta: MediaMeta | undefined = (await this.deps.store.get(event.tenant, media.id))?.meta;
    if (!meta) {
      const credentials = await this.deps.tenants(message.phoneNumberId);
      if (!credentials) {
        throw new MediaFetchError(`no enabled integration for ${message.phoneNumberId}`, false);
      }
      const download = await downloadMedia({
        base: this.deps.graphBase,
        token: credentials.accessToken,
        mediaId: media.id,
        phoneNumberId: message.phoneNumberId,
        maxBytes,
        timeoutMs: this.deps.timeoutMs,
        ...(this.deps.open ? { open: this.deps.open } : {}),
      });
      meta = await this.deps.store.put(event.tenant, media.id, download.body, {
        mimeType: media.mimeType ?? download.mimeType,
        maxBytes,
        ...(media.filename ? { filename: media.filename } : {}),
      });
      const hash = meta.sha256;
      if (download.sha256 && ![hash, Buffer.from(hash, "hex").toString("base64")].includes(download.sha256)) {
        // Meta's hash is informative; a mismatch is logged, the file kept (the bytes are Meta's).
        log.warn({ mediaId: media.id }, "stored media's sha256 differs from Meta's");
      }
    }
    let transcript: string | undefined;
    if (this.deps.transcriber && type === "audio") {
      const stored = await this.deps.store.get(event.tenant, media.id);
      if (stored) {
        try {
          transcript = await this.deps.transcriber({
            body: stored.open(),
            mimeType: stored.meta.mimeType,
            filename: audioFilename(stored.meta.mimeType),
          });
        } catch (err) {
          if (!isPermanent(err) && !lastAttempt) throw err;
          log.warn({ err, mediaId: media.id }, "voice note not transcribed; stored without a transcript");
        }
      }
    }
    await this.deps.bus.publish(
      createEvent({
        type: "media.stored",
        tenant: event.tenant,
        conversationId: event.conversationId,
        data: {
          wamid: message.wamid,
          phoneNumberId: message.phoneNumberId,
          mediaId: media.id,
          type,
          mimeType: meta.mimeType,
          size: meta.size,
          sha256: meta.sha256,
          ...(transcript !== undefined ? { transcript } : {}),
        },
      }),
      { dedupKeys: [`media.stored:${event.id}`] },
    );
    log.info(
      {
        mediaId: media.id,
        type,
        size: meta.size,
        transcribed: transcript !== undefined,
        durationMs: Date.now() - started,
      },
      "media stored",
    );
    return {
      ...message,
      media: { ...media, stored: { mimeType: meta.mimeType, size: meta.size } },
      ...(transcript ? { transcript } : {}),
    };
  }
}
