import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger } from "pino";

/** Keys whose values are never logged, at any of the first three levels of a log object. */
const SECRET_KEYS = [
  "authorization",
  "Authorization",
  "token",
  "accessToken",
  "access_token",
  "appSecret",
  "app_secret",
  "apiKey",
  "api_key",
  "apiKeys",
  "password",
  "secret",
  "encryptionKey",
  "verifyToken",
  "verify_token",
  "x-hub-signature-256",
  "cookie",
];
const segment = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `["${k}"]`);
const REDACT_PATHS = SECRET_KEYS.flatMap((k) =>
  ["*", "*.*", "*.*.*"]
    .map((prefix) => `${prefix}${segment(k)}`)
    .concat(segment(k).startsWith(".") ? [k] : []),
);

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Secret values (tokens, keys) scrubbed from every line, wherever they appear, even inside messages. */
  secrets?: readonly string[];
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const secrets = [...new Set(opts.secrets ?? [])].filter((s) => s.length >= 4);
  return pino(
    {
      level: opts.level ?? "info",
      name: opts.name,
      base: { service: opts.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      hooks:
        secrets.length > 0
          ? {
              streamWrite: (line: string) =>
                secrets.reduce((s, secret) => s.split(secret).join("[redacted]"), line),
            }
          : {},
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
