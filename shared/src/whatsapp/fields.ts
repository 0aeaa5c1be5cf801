import { accountField, handoverField, templateField } from "./field-account.js";
import { callsField } from "./field-calls.js";
import { echoesField, historyField } from "./field-echoes.js";
import { messagesField } from "./field-messages.js";
import { groupsField, preferencesField, stateSyncField } from "./field-users.js";
import type { FieldHandler } from "./webhook-out.js";

/**
 * Every `changes[].field` Meta documents for WhatsApp Business Accounts (docs/whatsapp-contract.md "Other fields") and
 * the handler that turns its value into events. A field not listed here is published on
 * `inbound.field` with its name and value (normalize.ts). docs/whatsapp-contract.md lists what
 * each one becomes.
 */
export const FIELD_HANDLERS: Readonly<Record<string, FieldHandler>> = {
  messages: messagesField,
  smb_message_echoes: echoesField,
  history: historyField,
  smb_app_state_sync: stateSyncField,
  user_preferences: preferencesField,
  calls: callsField,
  message_template_status_update: templateField,
  message_template_quality_update: templateField,
  message_template_components_update: templateField,
  template_category_update: templateField,
  account_update: accountField,
  account_alerts: accountField,
  account_review_update: accountField,
  automatic_events: accountField,
  business_capability_update: accountField,
  business_username_update: accountField,
  partner_solutions: accountField,
  payment_configuration_update: accountField,
  phone_number_name_update: accountField,
  phone_number_quality_update: accountField,
  security: accountField,
  group_lifecycle_update: groupsField,
  group_participants_update: groupsField,
  group_settings_update: groupsField,
  group_status_update: groupsField,
  standby: handoverField,
  messaging_handovers: handoverField,
};

export const KNOWN_FIELDS: readonly string[] = Object.keys(FIELD_HANDLERS);
