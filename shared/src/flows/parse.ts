import { type Document, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { FlankError } from "../errors.js";
import { Flow } from "./schema.js";

export interface FlowIssue {
  /** Dotted path inside the file, e.g. `stages.confirm.transitions.0.to`. */
  path: string;
  /** 1-based line, when it could be located. */
  line?: number;
  message: string;
}

export class FlowError extends FlankError {
  constructor(
    readonly file: string,
    readonly issues: FlowIssue[],
  ) {
    const lines = issues.map(
      (i) => `  ${file}${i.line ? `:${i.line}` : ""}: ${i.path || "(root)"}: ${i.message}`,
    );
    super("FlowError", `invalid flow file ${file}:\n${lines.join("\n")}`, { context: { file, issues } });
  }
}

export type FlowFormat = "json" | "yaml";

export const formatOf = (file: string): FlowFormat | undefined =>
  /\.json$/i.test(file) ? "json" : /\.ya?ml$/i.test(file) ? "yaml" : undefined;

/**
 * Parses and validates one flow file's text. Errors name the file, the bad path and its line.
 * JSON is located with the YAML parser too (JSON is YAML 1.2), while JSON.parse stays the judge of
 * what a JSON file means.
 */
export function parseFlow(text: string, file: string, format: FlowFormat): Flow {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: format === "yaml", prettyErrors: false });
  let value: unknown;
  if (format === "json") {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new FlowError(file, [
        { path: "", line: jsonErrorLine(text, err), message: (err as Error).message },
      ]);
    }
  } else {
    const first = doc.errors[0];
    if (first) {
      const line = lineCounter.linePos(first.pos[0]).line;
      throw new FlowError(file, [{ path: "", line, message: first.message.split("\n")[0] ?? "YAML error" }]);
    }
    value = doc.toJS();
  }
  const parsed = Flow.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new FlowError(file, issuesOf(parsed.error, doc, lineCounter));
}

/** 1-based line of `path` in a flow file's text (YAML or JSON), when it can be located. */
export function lineOf(text: string, path: readonly (string | number)[]): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const offset = offsetOf(doc, [...path]);
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function issuesOf(error: z.ZodError, doc: Document, lines: LineCounter): FlowIssue[] {
  return error.issues.map((issue) => {
    let path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    // Unknown keys: point at the first offending key rather than its object.
    if (issue.code === "unrecognized_keys" && issue.keys[0]) path = [...path, issue.keys[0]];
    const offset = offsetOf(doc, path);
    return {
      path: path.join("."),
      line: offset === undefined ? undefined : lines.linePos(offset).line,
      message: issue.message,
    };
  });
}

/** Start offset of the deepest node along `path` (the key when the last step is a map key). */
function offsetOf(doc: Document, path: (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let best = isNode(node) ? node.range?.[0] : undefined;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step),
      );
      if (!pair) return best;
      best = (isNode(pair.key) ? pair.key.range?.[0] : undefined) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof step === "number") {
      node = node.items[step];
      if (!isNode(node)) return best;
      best = node.range?.[0] ?? best;
    } else return best;
  }
  return best;
}

/** Node's JSON.parse messages end in "(line L column C)" (Node 22) or "at position N" (Node 20). */
function jsonErrorLine(text: string, err: unknown): number | undefined {
  const msg = (err as Error).message;
  const line = /line (\d+)/.exec(msg);
  if (line?.[1]) return Number(line[1]);
  const pos = /position (\d+)/.exec(msg);
  if (pos?.[1]) return text.slice(0, Number(pos[1])).split("\n").length;
  return undefined;
}
