import type { MessageAmendment, StoredMessage } from "./types.js";

export type AmendPlan =
  | { outcome: "duplicate" }
  | { outcome: "applied"; set: Partial<Pick<StoredMessage, "edits" | "body" | "type" | "deletedAt">> };

/**
 * What an edit or a revoke changes (pure, shared by the stores). An edit keeps the version it
 * replaces in `edits`, so the original stays in the message's history; a revoke marks the time.
 * The amendment's id (the edit's or revoke's own wamid) makes a redelivery a no-op.
 */
export function planAmend(message: StoredMessage, amendment: MessageAmendment): AmendPlan {
  const edits = message.edits ?? [];
  if (amendment.kind === "revoke") {
    return message.deletedAt
      ? { outcome: "duplicate" }
      : { outcome: "applied", set: { deletedAt: amendment.at } };
  }
  if (edits.some((e) => e.id === amendment.id)) return { outcome: "duplicate" };
  const previous = {
    id: amendment.id,
    ...(message.body === undefined ? {} : { body: message.body }),
    type: message.type,
    at: amendment.at,
  };
  return {
    outcome: "applied",
    set: {
      edits: [...edits, previous],
      type: amendment.type,
      ...(amendment.body === undefined ? {} : { body: amendment.body }),
    },
  };
}
