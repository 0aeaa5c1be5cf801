import type { OutboundMessage, OutboundRequestData } from "@flank/shared/contract";
import { type TemplateStore, UNSENDABLE_TEMPLATE_STATUSES, type UserStore } from "@flank/shared/store";

export interface PreSendDeps {
  users: Pick<UserStore, "find">;
  templates: Pick<TemplateStore, "find">;
}

export interface PreSendInput {
  tenant: string;
  /** The business number's WABA, when known: templates belong to it. */
  wabaId?: string;
  request: OutboundRequestData;
  /** What is about to be sent: the request's message, or the closed-window fallback template. */
  message: OutboundMessage;
  fallback: boolean;
}

/** Why a send is refused, in the shape of a failed outbound.result. */
export interface Refusal {
  error: { code: number; title: string; message: string };
  reason: string;
  /** Only a person can fix it (the fallback template must be replaced): logged as an alert. */
  alert: boolean;
}

/** The error code Meta would answer for a template in that state (docs/whatsapp-contract.md "Error codes"). */
const STATUS_CODES: Record<string, number> = { PAUSED: 132015, DISABLED: 132016 };
const MARKETING_STOPPED = 131050;

/** The user a request goes to, as the users store keys them; groups have no preferences. */
function recipientKey(request: OutboundRequestData): { waId?: string; userId?: string } | undefined {
  if (request.recipientType === "group") return undefined;
  if (request.to) return { waId: request.to.replace(/\D/g, "") };
  return request.recipient ? { userId: request.recipient } : undefined;
}

/**
 * What the sender checks before any Graph API call, with what Meta reported earlier: a template
 * Meta paused, disabled or rejected is not attempted (for the closed-window fallback that is an
 * alert: every reply to a closed window fails until it is replaced); a marketing template (as
 * the request says, else as Meta categorized it) is refused for a user who stopped marketing
 * messages, until they resume. Anything else goes ahead: Meta has the last word.
 */
export async function checkBeforeSend(deps: PreSendDeps, input: PreSendInput): Promise<Refusal | undefined> {
  const { message } = input;
  if (message.type !== "template") return undefined;
  const template = await deps.templates.find({
    ...(input.wabaId ? { wabaId: input.wabaId } : {}),
    name: message.name,
    language: message.language,
  });
  const status = template?.status?.toUpperCase();
  if (status && UNSENDABLE_TEMPLATE_STATUSES.has(status)) {
    const what = input.fallback ? "the closed-window fallback template" : "template";
    return {
      error: {
        code: STATUS_CODES[status] ?? 132001,
        title: `template ${status.toLowerCase()}`,
        message: `${what} ${message.name} (${message.language}) is ${status} at Meta${template?.statusReason ? ` (${template.statusReason})` : ""}; not sent`,
      },
      reason: `template_${status.toLowerCase()}`,
      alert: input.fallback,
    };
  }
  const category = message.category ?? template?.category?.toLowerCase();
  const key = category === "marketing" ? recipientKey(input.request) : undefined;
  if (!key) return undefined;
  const user = await deps.users.find(input.tenant, key);
  const choice = user?.preferences?.marketing_messages;
  if (choice?.value !== "stop") return undefined;
  return {
    error: {
      code: MARKETING_STOPPED,
      title: "user stopped marketing messages",
      message: `the user stopped marketing messages on ${choice.at}; marketing template ${message.name} not sent`,
    },
    reason: "marketing_opted_out",
    alert: false,
  };
}
