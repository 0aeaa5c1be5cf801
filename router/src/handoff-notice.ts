import type { Flow, OfficeHours, Weekday } from "@flank/shared/flows";

export const DEFAULT_HANDOFF_MESSAGE =
  "Thanks! I'm connecting you with a person from our team. Someone will reply here shortly.";
export const DEFAULT_AWAY_MESSAGE =
  "Nobody from our team is available right now. We have your message and will get back to you here as soon as we can.";

/** What the user is told on a handoff: a person is coming, or the team is away (closed: outside office hours). */
export type HandoffNoticeKind = "connecting" | "away" | "closed";

export interface HandoffNotice {
  kind: HandoffNoticeKind;
  text: string;
}

/**
 * The message a handoff sends to the user (pure). An agent online: the flow's handoff message.
 * Nobody online: the office-hours closed message outside the flow's office hours, else the away
 * message. Each falls back to the next, then to a default, so the user is never left in silence.
 */
export function handoffNotice(flow: Flow, opts: { agentsOnline: number; now: Date }): HandoffNotice {
  if (opts.agentsOnline > 0)
    return { kind: "connecting", text: flow.handoffMessage ?? DEFAULT_HANDOFF_MESSAGE };
  const away = flow.awayMessage ?? DEFAULT_AWAY_MESSAGE;
  const hours = flow.officeHours;
  if (hours && !isOpen(hours, opts.now)) return { kind: "closed", text: hours.closedMessage ?? away };
  return { kind: "away", text: away };
}

const WEEKDAYS: Record<string, Weekday> = {
  Mon: "mon",
  Tue: "tue",
  Wed: "wed",
  Thu: "thu",
  Fri: "fri",
  Sat: "sat",
  Sun: "sun",
};

/** True when `now` falls in one of the day's intervals, on the office's wall clock. */
export function isOpen(hours: OfficeHours, now: Date): boolean {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: hours.timezone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = WEEKDAYS[part("weekday")];
  const clock = `${part("hour")}:${part("minute")}`;
  if (!day) return false;
  return (hours.days[day] ?? []).some(
    (interval) => interval.slice(0, 5) <= clock && clock < interval.slice(6),
  );
}
