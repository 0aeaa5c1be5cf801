import { parseArgs } from "node:util";
import { createBus } from "@flank/shared/bus";
import { loadConfig } from "@flank/shared/config";
import {
  CHANNEL_PREFIX,
  conversationChannel,
  type FlankEvent,
  TOPICS,
  type Topic,
  topicChannel,
} from "@flank/shared/contract";
import { createLogger } from "@flank/shared/log";
import { eventLine } from "../event-line.js";
import { EXIT, type Io, UsageError, untilAborted } from "../io.js";

export interface TailFilter {
  topics: Topic[];
  conversation?: string;
}

/** The tap pattern and the per-event test for a filter. Pure. */
export function tapOf(filter: TailFilter): {
  pattern: string;
  wanted(event: FlankEvent, channel: string): boolean;
} {
  const { topics, conversation } = filter;
  const only = topics.length === 1 ? topics[0] : undefined;
  const pattern = conversation
    ? conversationChannel(conversation)
    : only
      ? topicChannel(only)
      : `${CHANNEL_PREFIX}.>`;
  return {
    pattern,
    // Without a conversation, take each event from its topic channel only, so it prints once.
    wanted: (event, channel) =>
      (topics.length === 0 || topics.includes(event.type)) &&
      (conversation !== undefined || channel === topicChannel(event.type)),
  };
}

/** `flank tail`: live events from the bus configured by BUS / REDIS_URL / NATS_URL, until Ctrl-C. */
export async function tailCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      topic: { type: "string", multiple: true },
      conversation: { type: "string" },
      json: { type: "boolean" },
    },
    strict: true,
    allowPositionals: false,
  });
  const topics = (values.topic ?? []).map((t) => {
    if (!(TOPICS as readonly string[]).includes(t))
      throw new UsageError(`--topic: unknown "${t}" (one of ${TOPICS.join(", ")})`);
    return t as Topic;
  });
  const config = loadConfig({ env: io.env, dir: io.cwd });
  if (config.bus.kind === "memory") {
    io.stderr(
      "error: tail reads a shared bus: set BUS=redis (with REDIS_URL) or BUS=nats (with NATS_URL).\n" +
        "The in-memory bus lives inside one process; follow it with the gateway's GET /v1/stream instead.\n",
    );
    return EXIT.failure;
  }
  const log = createLogger({
    level: config.logLevel === "info" ? "warn" : config.logLevel,
    name: "flank-tail",
    destination: { write: (s: string) => io.stderr(s) },
  });
  const bus = await createBus(config, log);
  try {
    const { pattern, wanted } = tapOf({
      topics,
      ...(values.conversation ? { conversation: values.conversation } : {}),
    });
    const sub = await bus.tap(pattern, (event, channel) => {
      if (wanted(event, channel)) io.stdout(`${eventLine(event, values.json === true)}\n`);
    });
    io.stderr(`tailing ${pattern} on ${config.bus.kind} (Ctrl-C stops)\n`);
    await untilAborted(io.signal);
    await sub.close();
  } finally {
    await bus.close({ timeoutMs: 2000 });
  }
  return EXIT.ok;
}
