// Example values of /openapi.json, shared by the operations; routes/openapi.test.ts parses each
// with the schema it illustrates.

export const REQUEST_ID = "01JX3F8Q2V6K9T4N7C5B1M0ZAA";
export const WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA";

export const conversationExample = {
  id: "106540352242922:16505551234",
  tenant: "106540352242922",
  user: "16505551234",
  waId: "16505551234",
  profileName: "Zé",
  flowId: "general-assistant",
  stage: "chat",
  route: "agent:ana",
  agentId: "ana",
  lastInboundAt: "2026-06-01T10:00:00.000Z",
  unread: 0,
  createdAt: "2026-06-01T09:58:00.000Z",
  updatedAt: "2026-06-01T10:00:05.000Z",
  version: 4,
};

export const agentExample = {
  id: "ana",
  name: "Ana Souza",
  tenants: ["106540352242922"],
  enabled: true,
  keyHint: "…x9Qz",
  createdAt: "2026-06-01T09:00:00.000Z",
  updatedAt: "2026-06-01T09:00:00.000Z",
};

export const storedMessageExample = {
  id: "01JX3F8Q2V6K9T4N7C5B1M0ZAB",
  wamid: WAMID,
  conversationId: "106540352242922:16505551234",
  tenant: "106540352242922",
  direction: "outbound",
  from: "15550001111",
  to: "16505551234",
  type: "text",
  body: "Your order ships today.",
  timestamp: "2026-06-01T10:00:05.000Z",
  status: "delivered",
  statuses: [
    { status: "sent", timestamp: "2026-06-01T10:00:06.000Z" },
    { status: "delivered", timestamp: "2026-06-01T10:00:07.000Z" },
  ],
  raw: {},
};

export const userExample = {
  id: "106540352242922:16505551234",
  waId: "16505551234",
  profileName: "Zé",
  firstSeenAt: "2026-06-01T09:58:00.000Z",
  lastSeenAt: "2026-06-01T10:00:00.000Z",
  metadata: {},
};

export const integrationExample = {
  id: "int_01JX3F8Q2V6K9T4N7C5B1M0ZAC",
  organization_id: "acme",
  agent_flow_id: "general-assistant",
  phone_number: "+1 555 000 1111",
  phone_number_id: "106540352242922",
  waba_id: "102290129340398",
  access_token: "****wxyz",
  verify_token: "d5c0e7f6a1b24c8e",
  app_secret: "****9f3a",
  enabled: true,
  created_at: "2026-06-01T09:00:00.000Z",
  updated_at: "2026-06-01T09:00:00.000Z",
};

export const integrationCreateExample = {
  organization_id: "acme",
  agent_flow_id: "general-assistant",
  phone_number_id: "106540352242922",
  waba_id: "102290129340398",
  access_token: "EAAGm0PX4ZCpsBA1example2token3wxyz",
  app_secret: "3b1f0c9d8e7a6b5c4d3e2f1a0b9c9f3a",
};

/** A minimal text message as Meta delivers it to the webhook. */
export const webhookExample = {
  object: "whatsapp_business_account",
  entry: [
    {
      id: "102290129340398",
      changes: [
        {
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "15550001111", phone_number_id: "106540352242922" },
            contacts: [{ profile: { name: "Zé" }, wa_id: "16505551234" }],
            messages: [
              {
                from: "16505551234",
                id: WAMID,
                timestamp: "1780308000",
                type: "text",
                text: { body: "Hi, where is my order?" },
              },
            ],
          },
        },
      ],
    },
  ],
};

export const sseExample = `event: inbound.message\ndata: {"id":"01JX…","type":"inbound.message","data":{…}}\n\n`;
