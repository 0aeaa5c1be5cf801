import {
  type BusinessNumber,
  DEFAULT_DISPLAY_NUMBER,
  DEFAULT_WABA_ID,
  newWamid,
  unixSeconds,
  webhookEnvelope,
} from "./meta-payloads.js";

/**
 * Webhooks of the fields other than user messages (docs/whatsapp-contract.md "Other fields"), built like Meta sends them,
 * for tests and the playground: an echo from the WhatsApp Business app, a marketing preference,
 * a template status update. Pure.
 */

export interface EchoFrom extends BusinessNumber {
  /** The user the business wrote to (wa_id, digits). */
  to: string;
  text: string;
  wamid?: string;
  at?: Date;
}

/** `smb_message_echoes`: the business answered from the WhatsApp Business app. */
export function echoWebhook(e: EchoFrom): { payload: ReturnType<typeof webhookEnvelope>; wamid: string } {
  const wamid = e.wamid ?? newWamid();
  const payload = webhookEnvelope(
    e,
    {
      message_echoes: [
        {
          from: e.displayPhoneNumber ?? DEFAULT_DISPLAY_NUMBER,
          to: e.to,
          id: wamid,
          timestamp: unixSeconds(e.at ?? new Date()),
          type: "text",
          text: { body: e.text },
        },
      ],
    },
    "smb_message_echoes",
  );
  return { payload, wamid };
}

export interface PreferenceOf extends BusinessNumber {
  waId: string;
  value: "stop" | "resume";
  at?: Date;
}

/** `user_preferences`: a user stopped or resumed marketing messages. */
export function userPreferenceWebhook(p: PreferenceOf) {
  const detail = `User requested to ${p.value} marketing messages`;
  return webhookEnvelope(
    p,
    {
      contacts: [{ profile: { name: p.waId }, wa_id: p.waId }],
      user_preferences: [
        {
          wa_id: p.waId,
          detail,
          category: "marketing_messages",
          value: p.value,
          timestamp: Math.floor((p.at ?? new Date()).getTime() / 1000),
        },
      ],
    },
    "user_preferences",
  );
}

export interface TemplateStatusOf {
  wabaId?: string;
  name: string;
  /** As Meta writes it in webhooks, e.g. `en-US`. */
  language: string;
  event: string;
  category?: string;
  templateId?: number;
  at?: Date;
}

/** `message_template_status_update`: a template approved, paused, disabled… (no metadata, entry time). */
export function templateStatusWebhook(t: TemplateStatusOf) {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: t.wabaId ?? DEFAULT_WABA_ID,
        time: Math.floor((t.at ?? new Date()).getTime() / 1000),
        changes: [
          {
            field: "message_template_status_update",
            value: {
              event: t.event,
              message_template_id: t.templateId ?? 1689556908129832,
              message_template_name: t.name,
              message_template_language: t.language,
              reason: "NONE",
              ...(t.category ? { message_template_category: t.category } : {}),
            },
          },
        ],
      },
    ],
  };
}
