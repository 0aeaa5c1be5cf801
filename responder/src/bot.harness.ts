import { captureLog } from "@flank/devtools";
import { createMemoryBus } from "@flank/shared/bus";
import { createEvent, type EventOf, newId } from "@flank/shared/contract";
import { createFlowRegistry } from "@flank/shared/flows";
import { createMemoryStores, MemorySessionCache } from "@flank/shared/store";
import { BotWorker, type BotWorkerOptions } from "./bot-worker.js";
import { MemoryKeeper } from "./memory-keeper.js";
import { createMemoryMetrics } from "./metrics.js";
import type { ChatModel } from "./openai-composer.js";
import { sessionHistoryFrom } from "./session-history.js";
import type { ImageInput } from "./vision.js";

export const TENANT = "100200300";
export const USER = "15550001111";

export const SHOP_FLOW = {
  id: "shop",
  initialStage: "start",
  idleTimeoutMinutes: 30,
  systemPrompt: "You are ShopBot.",
  stages: {
    start: { goal: "Greet the customer.", replies: ["Hi!", "Hello again!"] },
    menu: {
      goal: "Offer the menu.",
      replies: ["Pick one"],
      options: { type: "buttons" as const, buttons: [{ id: "pizza", title: "Pizza" }] },
    },
  },
};

/** A bot worker on the memory bus; records the outbound requests it publishes. */
export async function startBotHarness(
  opts: {
    model?: ChatModel;
    options?: Partial<BotWorkerOptions>;
    summaryEvery?: number;
    now?: () => number;
    /** VISION: stored images for the model. */
    images?: ImageInput;
  } = {},
) {
  const { log, lines: logs } = captureLog("debug");
  const bus = createMemoryBus(log, { partitions: 2 });
  const stores = createMemoryStores();
  const metrics = createMemoryMetrics();
  const now = opts.now ?? Date.now;
  const cache = new MemorySessionCache(3600 * 24 * 30, now);
  const memory = new MemoryKeeper({
    summaries: stores.summaries,
    history: sessionHistoryFrom(cache, 50),
    ...(opts.model ? { model: opts.model } : {}),
    summaryEvery: opts.summaryEvery ?? 10,
    metrics,
    log,
    now,
  });
  const reads: { wamid: string; typing: boolean }[] = [];
  const bot = new BotWorker({
    bus,
    flows: createFlowRegistry([SHOP_FLOW]),
    memory,
    users: stores.users,
    ...(opts.model ? { model: opts.model } : {}),
    ...(opts.images ? { images: opts.images } : {}),
    receipts: { markRead: async (e, { typing }) => void reads.push({ wamid: e.data.message.wamid, typing }) },
    metrics,
    log,
    now,
    options: {
      fallbackReply: "Sorry, try again later.",
      historyMessages: 20,
      historyTokenBudget: 3000,
      markRead: true,
      typingIndicator: true,
      ...opts.options,
    },
  });
  const requests: EventOf<"outbound.request">[] = [];
  const watcher = await bus.consume({
    topic: "outbound.request",
    group: "test",
    handler: async (e) => void (e.type === "outbound.request" && requests.push(e)),
  });
  await bot.start();

  const routed = (
    text: string,
    extra: { stage?: string; route?: string; at?: number; wamid?: string; groupId?: string } = {},
  ) =>
    createEvent({
      type: "conversation.routed",
      tenant: TENANT,
      conversationId: `${TENANT}:${extra.groupId ?? USER}`,
      data: {
        message: {
          wamid: extra.wamid ?? `wamid.${newId()}`,
          phoneNumberId: TENANT,
          from: USER,
          ...(extra.groupId ? { groupId: extra.groupId } : {}),
          profileName: "Ana",
          timestamp: new Date(extra.at ?? now()).toISOString(),
          type: "text",
          text,
          raw: {},
        },
        stageBefore: null,
        stageAfter: extra.stage ?? "start",
        route: extra.route ?? "bot",
        reason: "test",
        flowId: "shop",
      },
    });

  return {
    bus,
    stores,
    metrics,
    logs,
    requests,
    /** Read receipts sent (out of band, straight to the Graph API in production). */
    reads,
    bot,
    cache,
    routed,
    replies: () => requests,
    async stop() {
      await bot.stop(1000);
      await watcher.close({ timeoutMs: 1000 });
      await bus.close({ timeoutMs: 1000 });
    },
  };
}
