import type { Bus } from "@flank/shared/bus";
import {
  createEvent,
  type EventOf,
  type FlankEvent,
  type InboundMessageData,
  newId,
  type Topic,
} from "@flank/shared/contract";

let seq = 0;

/** An inbound.message event as the gateway would publish it. */
export function inbound(
  user: string,
  over: Partial<InboundMessageData> = {},
  tenant = "111",
): EventOf<"inbound.message"> {
  return createEvent({
    type: "inbound.message",
    tenant,
    conversationId: `${tenant}:${user}`,
    data: {
      wamid: `wamid.${newId()}`,
      phoneNumberId: tenant,
      from: user,
      profileName: "Zé",
      timestamp: new Date(Date.UTC(2026, 4, 1, 12, 0, 0) + ++seq * 1000).toISOString(),
      type: "text",
      raw: {},
      ...over,
    },
  });
}

export const textFrom = (user: string, text: string, over: Partial<InboundMessageData> = {}) =>
  inbound(user, { type: "text", text, ...over });

/** Records every event of some topics through a consumer group of its own (ordered, exactly once). */
export async function observe(bus: Bus, topics: Topic[], group = `observer-${newId()}`) {
  const events: FlankEvent[] = [];
  const consumers = await Promise.all(
    topics.map((topic) =>
      bus.consume({
        topic,
        group,
        handler: async (e) => {
          events.push(e);
        },
      }),
    ),
  );
  return {
    events,
    routed: () => events.flatMap((e) => (e.type === "conversation.routed" ? [e] : [])),
    updated: () => events.flatMap((e) => (e.type === "conversation.updated" ? [e] : [])),
    close: () => Promise.all(consumers.map((c) => c.close())),
  };
}
