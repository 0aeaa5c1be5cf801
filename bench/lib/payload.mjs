import { createHmac } from "node:crypto";

export const PHONE_NUMBER_ID = "106540352242922";
export const APP_SECRET = "bench-app-secret";

export const MESSAGE_TEXT =
  "Hello! I saw your ad and would like to book an appointment for next week, ideally Tuesday or Wednesday afternoon. Could you tell me which times are free and what I need to bring along? Thanks a lot.";

/**
 * A realistic Meta text-message webhook (~1.2 KB): envelope, metadata, contacts with a profile, a
 * text with context and a click-to-WhatsApp referral.
 */
export function webhookBody(wamid, user, text = MESSAGE_TEXT) {
  return JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: PHONE_NUMBER_ID },
              contacts: [{ profile: { name: `Bench User ${user}` }, wa_id: user }],
              messages: [
                {
                  from: user,
                  id: wamid,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  type: "text",
                  text: { body: text },
                  context: {
                    from: "15550783881",
                    id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA",
                  },
                  referral: {
                    source_url: "https://fb.me/3cr4Wqqkv",
                    source_id: "120226305854810726",
                    source_type: "ad",
                    body: "Book your next appointment in seconds, right from WhatsApp.",
                    headline: "Appointments made easy",
                    media_type: "image",
                    image_url: "https://scontent.xx.fbcdn.net/v/t45.1600-4/image.jpg",
                    ctwa_clid:
                      "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a",
                  },
                },
              ],
            },
          },
        ],
      },
    ],
  });
}

export const sign = (body, secret = APP_SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

let counter = 0;
/** Distinct wamids in Meta's format. */
export const nextWamid = (prefix = "bench") =>
  `wamid.${Buffer.from(`${prefix}.${process.pid}.${Date.now()}.${++counter}`).toString("base64url")}`;
