import { mapErrors } from "./map-common.js";
import { arr } from "./read.js";
import {
  conversationIdOf,
  emit,
  type FieldContext,
  hashOf,
  type NormalizedWebhook,
  SYSTEM_USER,
  UNATTRIBUTED_TENANT,
} from "./webhook-out.js";

/**
 * `value.errors[]` as one `inbound.error` (system, app or account level, docs/whatsapp-contract.md "Webhook envelope"). Meta's
 * error objects carry no id: the same payload for the same number is the same error.
 */
export function valueErrors(
  errors: unknown,
  phoneNumberId: string | undefined,
  ctx: FieldContext,
  out: NormalizedWebhook,
): void {
  if (arr(errors).length === 0) return;
  const tenant = phoneNumberId ?? UNATTRIBUTED_TENANT;
  emit(
    out,
    {
      type: "inbound.error",
      tenant,
      conversationId: conversationIdOf(tenant, SYSTEM_USER),
      data: {
        phoneNumberId,
        wabaId: ctx.wabaId,
        ...(ctx.field === "messages" ? {} : { field: ctx.field }),
        errors: mapErrors(errors) ?? [],
        raw: errors,
      },
    },
    `error:${hashOf(ctx.field === "messages" ? [tenant, errors] : [tenant, ctx.field, errors])}`,
  );
}
