import type { Embedded } from "./embedded.js";
import type { Generated } from "./local-config.js";

type BannerInput = Pick<
  Embedded,
  "url" | "playgroundUrl" | "playgroundOff" | "consoleUrl" | "simulated" | "generated"
>;

/** Every generated value: its name, the shell variable the docs use for it, and what it is for. */
const KEYS: { key: keyof Generated; label: string; shell?: string; about: string }[] = [
  {
    key: "apiKey",
    label: "API_KEYS",
    shell: "FLANK_API_KEY",
    about: "send and read API: Authorization: Bearer <key>",
  },
  {
    key: "adminKey",
    label: "ADMIN_API_KEYS",
    shell: "FLANK_ADMIN_KEY",
    about: "integrations and agents API",
  },
  { key: "appSecret", label: "APP_SECRET", shell: "APP_SECRET", about: "webhook signatures are checked" },
  { key: "verifyToken", label: "VERIFY_TOKEN", shell: "VERIFY_TOKEN", about: "webhook verification" },
  {
    key: "agentKey",
    label: "agent key",
    shell: "FLANK_AGENT_KEY",
    about: 'sign in to the console as "Local agent"',
  },
  { key: "simulatorToken", label: "simulator token", about: "the simulated Cloud API's access token" },
];

/** The line that sets, in another shell, the variables the README and docs/ commands use. */
export function exportLine(e: Pick<BannerInput, "url" | "generated">): string {
  const vars = [`FLANK_URL=${e.url}`];
  for (const k of KEYS) {
    const value = e.generated[k.key];
    if (value && k.shell) vars.push(`${k.shell}=${value}`);
  }
  return `export ${vars.join(" ")}`;
}

/** The values generated for this run, one a line with what each is for; none when nothing was. */
export function generatedLines(generated: Generated): string[] {
  const made = KEYS.filter((k) => generated[k.key]);
  if (made.length === 0) return [];
  return [
    "",
    "Generated for this run only (set them in .env to keep them):",
    ...made.map((k) => `  ${k.label.padEnd(16)} ${generated[k.key]}   (${k.about})`),
  ];
}

/** What `npm start` prints once everything answers: where to go, what is simulated, what was generated. */
export function banner(e: BannerInput): string {
  const lines = [
    "",
    "Flank is running: gateway, router and responder in one process.",
    "",
    // The link carries this run's token: the playground refuses calls without it.
    `  Playground   ${e.playgroundUrl ?? `off (${e.playgroundOff ?? "not available"})`}`,
    `  Console      ${e.consoleUrl}   (human agents: docs/agents.md)`,
    `  Webhook      ${e.url}/webhook/whatsapp`,
    `  API docs     ${e.url}/docs`,
    `  Health       ${e.url}/readyz`,
    "",
  ];
  lines.push(e.simulated.length > 0 ? "Simulated (everything else is real):" : "Nothing is simulated.");
  for (const part of e.simulated) lines.push(`  - ${part}`);
  lines.push(...generatedLines(e.generated));
  lines.push(
    "",
    "For the commands in the README and docs/, in another terminal:",
    `  ${exportLine(e)}`,
    '  npx flank simulate --to "$FLANK_URL" --from 16505551234 --name Ana --text hi',
    "",
    "Ctrl-C stops.",
    "",
  );
  return lines.join("\n");
}
