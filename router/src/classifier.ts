import { errorMessage } from "@flank/shared/errors";
import type { Intent } from "@flank/shared/flows";
import { guardedFetch } from "@flank/shared/http";
import type { Logger } from "@flank/shared/log";
import { Semaphore } from "@flank/shared/util";
import type OpenAI from "openai";

export interface ClassifyInput {
  text: string;
  /** The flow's intents; the answer is one of their names or "none". */
  intents: readonly Intent[];
  /** The stage's goal, so "yes" can be read in context. */
  stageGoal?: string;
}

export interface IntentClassifier {
  /** An intent name, "none", or undefined when the classifier failed (the rules' result stands). */
  classify(input: ClassifyInput): Promise<string | undefined>;
}

export interface OpenAIClassifierOptions {
  apiKey: string;
  baseURL?: string;
  /** OPENAI_ORG_ID and OPENAI_PROJECT_ID from config: `npm start` reads them from .env files, not process.env. */
  organization?: string;
  project?: string;
  model: string;
  /** Whole-request budget; routing waits at most this long for an answer. */
  timeoutMs: number;
  /** Classifier calls at once (MODEL_MAX_IN_FLIGHT); routing of other conversations goes on. */
  maxInFlight?: number;
  log: Logger;
}

/**
 * Intent classifier on the official SDK with structured output: the schema's enum holds the flow's
 * intent names plus "none", so the model cannot answer outside the list. No retries: a slow or
 * failing model must not hold up routing. No redirects either, and a capped answer (guardedFetch):
 * the API key must not follow a 3xx to another host. The SDK is loaded by the first message
 * that needs a classification (about 3.5 MB of a router's resident memory): flows without
 * intents never load it.
 */
export function createOpenAIClassifier(opts: OpenAIClassifierOptions): IntentClassifier {
  let client: Promise<OpenAI> | undefined;
  const sdk = () =>
    (client ??= import("openai").then(
      ({ default: OpenAI }) =>
        new OpenAI({
          apiKey: opts.apiKey,
          baseURL: opts.baseURL,
          organization: opts.organization ?? null,
          project: opts.project ?? null,
          timeout: opts.timeoutMs,
          maxRetries: 0,
          fetch: guardedFetch(),
        }),
    ));
  const slots = new Semaphore(opts.maxInFlight ?? 1000);
  return {
    async classify({ text, intents, stageGoal }) {
      if (intents.length === 0) return "none";
      const names = [...intents.map((i) => i.name), "none"];
      const started = Date.now();
      try {
        const completion = await slots.run(async () =>
          (await sdk()).chat.completions.create(
            {
              model: opts.model,
              temperature: 0,
              max_completion_tokens: 50,
              messages: [
                { role: "system", content: systemPrompt(intents, stageGoal) },
                { role: "user", content: text.slice(0, 2000) },
              ],
              response_format: {
                type: "json_schema",
                json_schema: {
                  name: "intent",
                  strict: true,
                  schema: {
                    type: "object",
                    properties: { intent: { type: "string", enum: names } },
                    required: ["intent"],
                    additionalProperties: false,
                  },
                },
              },
            },
            { signal: AbortSignal.timeout(opts.timeoutMs) },
          ),
        );
        const content = completion.choices[0]?.message.content ?? "";
        const intent = parseIntent(content, names);
        if (intent === undefined)
          opts.log.warn({ content: content.slice(0, 200) }, "classifier answer unusable");
        opts.log.debug({ intent, durationMs: Date.now() - started }, "intent classified");
        return intent;
      } catch (err) {
        opts.log.warn(
          { err: errorMessage(err), durationMs: Date.now() - started },
          "intent classifier failed",
        );
        return undefined;
      }
    },
  };
}

function systemPrompt(intents: readonly Intent[], stageGoal: string | undefined): string {
  const list = intents.map((i) => `- ${i.name}${i.description ? `: ${i.description}` : ""}`).join("\n");
  return [
    "Classify the user's WhatsApp message into exactly one intent.",
    stageGoal ? `The conversation is at this step: ${stageGoal}` : "",
    `Intents:\n${list}\n- none: none of the above clearly applies.`,
    'Answer with JSON {"intent": "<name>"}.',
  ]
    .filter(Boolean)
    .join("\n\n");
}

export function parseIntent(content: string, names: readonly string[]): string | undefined {
  try {
    const value = JSON.parse(content) as { intent?: unknown };
    return typeof value.intent === "string" && names.includes(value.intent) ? value.intent : undefined;
  } catch {
    return undefined;
  }
}
