import { randomInt } from "node:crypto";
import type { IntegrationService } from "@flank/shared/integrations";

/**
 * The playground's chats. In Flank a business number runs one flow (its integration's
 * agent_flow_id), so a chat on a chosen flow is a chat with a simulated business number of that
 * flow: the configured PHONE_NUMBER_ID for the default flow, a number made here for the others.
 * A reset opens a new number for the same flow: a new conversation, with no stage, history or
 * session memory, while the old one stays in the stores as it was (the console still shows it).
 */
export interface Chat {
  /** The simulated business number (phone_number_id) the messages go to. */
  biz: string;
  flowId: string;
}

export interface Chats {
  /** The flow's current chat, or (fresh, or none yet) a new one. */
  open(flowId: string, fresh: boolean): Promise<Chat>;
  /** A chat this playground opened, by its number; only those are signed for or streamed. */
  get(biz: string): Chat | undefined;
}

export interface ChatDeps {
  defaultFlowId: string;
  /** PHONE_NUMBER_ID: the default flow's first chat. */
  defaultNumber: string;
  flowIds: readonly string[];
  /** Makes the integration of a new number running `flowId` (flowNumbers below). */
  newNumber: (flowId: string) => Promise<string>;
}

/** Chats opened in one run at most: each is an integration in the stores. */
export const MAX_CHATS = 200;

export function createChats(deps: ChatDeps): Chats {
  const byBiz = new Map<string, Chat>();
  const current = new Map<string, Chat>();
  const add = (chat: Chat) => {
    byBiz.set(chat.biz, chat);
    current.set(chat.flowId, chat);
    return chat;
  };
  if (deps.defaultNumber) add({ biz: deps.defaultNumber, flowId: deps.defaultFlowId });
  return {
    async open(flowId, fresh) {
      if (!deps.flowIds.includes(flowId)) throw new UnknownFlow(flowId);
      const now = current.get(flowId);
      if (now && !fresh) return now;
      if (byBiz.size >= MAX_CHATS) throw new TooManyChats();
      return add({ biz: await deps.newNumber(flowId), flowId });
    },
    get: (biz) => byBiz.get(biz),
  };
}

export class TooManyChats extends Error {
  constructor() {
    super(`${MAX_CHATS} chats opened in this run already: restart to start over`);
  }
}

export class UnknownFlow extends Error {
  constructor(readonly flowId: string) {
    super(`no flow ${flowId}`);
  }
}

/**
 * New simulated business numbers: an enabled integration running the flow, with the simulator's
 * token (the app secret and verify token are the environment's). 15 digits starting 9999, so they
 * cannot be mistaken for a real number's id.
 */
export function flowNumbers(integrations: Pick<IntegrationService, "create">, accessToken: string) {
  return async (flowId: string): Promise<string> => {
    const phoneNumberId = `9999${String(randomInt(0, 10 ** 11)).padStart(11, "0")}`;
    await integrations.create({
      phoneNumberId,
      agentFlowId: flowId,
      accessToken,
      organizationId: "playground",
    });
    return phoneNumberId;
  };
}
