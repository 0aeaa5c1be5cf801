import { randomBytes } from "node:crypto";

/** Meta's texts for the codes tests script most often (docs/whatsapp-contract.md "Error codes"); others get a generic text. */
const TEXTS: Record<number, { message: string; details: string }> = {
  0: { message: "(#0) AuthException", details: "We were unable to authenticate the app user." },
  1: { message: "(#1) API Unknown", details: "Invalid request or possible server error." },
  2: { message: "(#2) API Service", details: "Temporary due to downtime or due to being overloaded." },
  4: {
    message: "(#4) Application request limit reached",
    details: "The app has reached its API call rate limit.",
  },
  100: { message: "(#100) Invalid parameter", details: "Invalid parameter" },
  190: { message: "Error validating access token", details: "Access token has expired." },
  80007: {
    message: "(#80007) Rate limit issues",
    details: "The WhatsApp Business Account has reached its rate limit.",
  },
  130429: { message: "(#130429) Rate limit hit", details: "Cloud API message throughput has been reached." },
  131000: {
    message: "(#131000) Something went wrong",
    details: "Message failed to send due to an unknown error.",
  },
  131026: { message: "(#131026) Message undeliverable", details: "Unable to deliver message." },
  131047: {
    message: "(#131047) Re-engagement message",
    details: "More than 24 hours have passed since the recipient last replied to the sender number.",
  },
  131056: {
    message: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
    details:
      "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.",
  },
  131057: {
    message: "(#131057) Account in maintenance mode",
    details: "Business Account is in maintenance mode.",
  },
};

/** HTTP status Meta usually pairs with a code (Meta says to key on the code, not this). */
export function graphErrorStatus(code: number): number {
  if (code === 0 || code === 190) return 401;
  if (code === 130429 || code === 80007 || code === 4) return 429;
  if (code === 131000 || code === 1) return 500;
  if (code === 2 || code === 131016 || code === 133004) return 503;
  if (code === 10 || code === 3 || (code >= 200 && code <= 299)) return 403;
  return 400;
}

/** The synchronous error body (docs/whatsapp-contract.md "Sending"). */
export function graphErrorBody(code: number, message?: string, details?: string) {
  const text = TEXTS[code];
  return {
    error: {
      message: message ?? text?.message ?? `(#${code}) Error`,
      type: "OAuthException",
      code,
      error_data: { messaging_product: "whatsapp", details: details ?? text?.details ?? "Error" },
      fbtrace_id: randomBytes(9).toString("base64url"),
    },
  };
}
