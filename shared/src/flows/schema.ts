import { z } from "zod";
import { ListSections, ReplyButtons } from "../events/outbound.js";

// A flow is a conversation script: stages with goals, offline replies and transitions.
// Interactive limits follow docs/whatsapp-contract.md "Sending" so a flow that loads can always be sent.

export const Condition = z.union([
  z.strictObject({ keywords: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ regex: z.string().min(1), flags: z.string().optional() }),
  z.strictObject({ replyIds: z.array(z.string().min(1)).min(1) }),
  z.strictObject({ intent: z.string().min(1) }),
  z.strictObject({ idleMinutes: z.number().positive() }),
  /**
   * The user called and nobody answered (a user-initiated call that ended without being
   * connected). Checked on the call, not on messages: e.g. `to` a handoff stage.
   */
  z.strictObject({ missedCall: z.literal(true) }),
]);
export type Condition = z.infer<typeof Condition>;

export const Transition = z.strictObject({
  to: z.string().min(1),
  when: Condition,
});
export type Transition = z.infer<typeof Transition>;

export const ButtonOptions = z.strictObject({
  type: z.literal("buttons"),
  body: z.string().min(1).max(1024).optional(),
  buttons: ReplyButtons,
});
export type ButtonOptions = z.infer<typeof ButtonOptions>;

export const ListOptions = z.strictObject({
  type: z.literal("list"),
  body: z.string().min(1).max(4096).optional(),
  button: z.string().min(1).max(20),
  sections: ListSections,
});
export type ListOptions = z.infer<typeof ListOptions>;

export const StageOptions = z.discriminatedUnion("type", [ButtonOptions, ListOptions]);
export type StageOptions = z.infer<typeof StageOptions>;

export const Stage = z.strictObject({
  /** The stage's system prompt for the responder. */
  goal: z.string().min(1),
  /** Scripted replies used when no LLM is configured (offline mode). */
  replies: z.array(z.string().min(1)).min(1),
  options: StageOptions.optional(),
  /** Entering this stage hands the conversation to the agent queue. */
  handoff: z.boolean().optional(),
  terminal: z.boolean().optional(),
  transitions: z.array(Transition).default([]),
});
export type Stage = z.infer<typeof Stage>;

export const Intent = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . - only"),
  description: z.string().optional(),
});
export type Intent = z.infer<typeof Intent>;

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof DAYS)[number];
/** "09:00-18:00" in the office's time zone; "24:00" may end a day. */
const Interval = z
  .string()
  .regex(
    /^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/,
    'expected "HH:MM-HH:MM", e.g. "09:00-18:00"',
  )
  .refine((v) => v.slice(0, 5) < v.slice(6), "the interval must end after it starts");

/** When the team works; outside these hours, with nobody online, the user gets `closedMessage`. */
export const OfficeHours = z.strictObject({
  /** An IANA time zone, e.g. "Europe/Lisbon". */
  timezone: z.string().refine(isTimeZone, "expected an IANA time zone, e.g. Europe/Lisbon"),
  /** Open intervals per weekday; a day left out is closed. */
  days: z.partialRecord(z.enum(DAYS), z.array(Interval)),
  closedMessage: z.string().min(1).max(4096).optional(),
});
export type OfficeHours = z.infer<typeof OfficeHours>;

export const Flow = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . - only"),
    name: z.string().optional(),
    description: z.string().optional(),
    initialStage: z.string().min(1),
    idleTimeoutMinutes: z.number().positive().default(1440),
    systemPrompt: z.string().optional(),
    intents: z.array(Intent).optional(),
    handoffKeywords: z.array(z.string().min(1)).optional(),
    /** Sent to the user on every handoff while an agent is online (a default when left out). */
    handoffMessage: z.string().min(1).max(4096).optional(),
    /** Sent on a handoff when no agent is online (a default when left out). */
    awayMessage: z.string().min(1).max(4096).optional(),
    officeHours: OfficeHours.optional(),
    /** WhatsApp groups (Groups API). The bot never answers a group privately. */
    groups: z
      .strictObject({
        /** Answer group messages in the group. Off by default: the conversation's route is `human`. */
        autoReply: z.boolean().default(false),
      })
      .optional(),
    stages: z.record(z.string().min(1), Stage),
  })
  .superRefine((flow, ctx) => {
    const stageIds = new Set(Object.keys(flow.stages));
    const intentNames = new Set((flow.intents ?? []).map((i) => i.name));
    if (!stageIds.has(flow.initialStage)) {
      ctx.addIssue({
        code: "custom",
        path: ["initialStage"],
        message: `unknown stage "${flow.initialStage}"`,
      });
    }
    if (intentNames.has("none")) {
      const idx = (flow.intents ?? []).findIndex((i) => i.name === "none");
      ctx.addIssue({ code: "custom", path: ["intents", idx, "name"], message: `"none" is reserved` });
    }
    for (const [stageId, stage] of Object.entries(flow.stages)) {
      checkOptionIds(stage, ["stages", stageId, "options"], ctx);
      stage.transitions.forEach((t, i) => {
        const path = ["stages", stageId, "transitions", i];
        if (!stageIds.has(t.to)) {
          ctx.addIssue({ code: "custom", path: [...path, "to"], message: `unknown stage "${t.to}"` });
        }
        const when = t.when;
        if ("regex" in when) {
          try {
            new RegExp(when.regex, when.flags);
          } catch (err) {
            const message = `invalid regex: ${(err as Error).message}`;
            ctx.addIssue({ code: "custom", path: [...path, "when", "regex"], message });
          }
        }
        if ("intent" in when && !intentNames.has(when.intent)) {
          ctx.addIssue({
            code: "custom",
            path: [...path, "when", "intent"],
            message: `intent "${when.intent}" is not declared in the flow's intents`,
          });
        }
      });
    }
  });
export type Flow = z.infer<typeof Flow>;
/** What a flow file holds before defaults are applied. */
export type FlowInput = z.input<typeof Flow>;

function checkOptionIds(stage: Stage, path: (string | number)[], ctx: z.RefinementCtx): void {
  const opts = stage.options;
  if (!opts) return;
  const ids =
    opts.type === "buttons"
      ? opts.buttons.map((b) => b.id)
      : opts.sections.flatMap((s) => s.rows.map((r) => r.id));
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) ctx.addIssue({ code: "custom", path, message: `duplicate option id "${id}"` });
    seen.add(id);
  }
  // WhatsApp caps a list message at 10 rows in total, not per section.
  if (opts.type === "list" && ids.length > 10) {
    ctx.addIssue({ code: "custom", path, message: `a list holds at most 10 rows (has ${ids.length})` });
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
