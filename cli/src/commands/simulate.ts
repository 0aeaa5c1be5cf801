import { parseArgs } from "node:util";
import { inboundTextWebhook, postWebhook } from "@flank/devtools";
import { loadConfig } from "@flank/shared/config";
import { EXIT, type Io, UsageError } from "../io.js";
import { LOCAL_PHONE_NUMBER_ID } from "../local-config.js";
import { required } from "./options.js";

/** The webhook URL for `--to`: a bare origin gets Meta's path, `/webhook/whatsapp`. */
export function webhookUrlOf(to: string): string {
  let url: URL;
  try {
    url = new URL(to);
  } catch {
    throw new UsageError(`--to: not a URL: "${to}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError("--to: expected http:// or https://");
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/webhook/whatsapp";
  return url.toString();
}

/**
 * `flank simulate`: one inbound text message, shaped and signed like Meta's webhook (APP_SECRET from
 * the environment or .env), POSTed to a running gateway. Exit 0 on 200, 1 otherwise.
 */
export async function simulateCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      to: { type: "string" },
      from: { type: "string" },
      name: { type: "string" },
      text: { type: "string" },
      "phone-number-id": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const url = webhookUrlOf(required(values.to, "to"));
  const from = required(values.from, "from").replace(/^\+/, "");
  if (!/^\d{6,15}$/.test(from))
    throw new UsageError(`--from: a phone number of 6 to 15 digits, got "${from}"`);
  const text = required(values.text, "text");
  const config = loadConfig({ env: io.env, dir: io.cwd });
  const appSecret = config.whatsapp.appSecret;
  const phoneNumberId = values["phone-number-id"] ?? config.whatsapp.phoneNumberId ?? LOCAL_PHONE_NUMBER_ID;
  if (!appSecret)
    io.stderr("warning: APP_SECRET is not set: sending unsigned (a gateway with a secret answers 401)\n");

  const { payload, wamid } = inboundTextWebhook({ phoneNumberId, from, name: values.name ?? from, text });
  let res: { status: number; body: string };
  try {
    res = await postWebhook({ url, appSecret }, payload);
  } catch (err) {
    io.stderr(`error: could not reach ${url}: ${(err as Error).message}\n`);
    return EXIT.failure;
  }
  if (res.status !== 200) {
    io.stderr(`error: the gateway answered ${res.status}: ${res.body}\n`);
    return EXIT.failure;
  }
  io.stdout(`sent ${wamid} from +${from} to ${url}: ${res.status} ${res.body}\n`);
  return EXIT.ok;
}
