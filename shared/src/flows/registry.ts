import { readdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FlankError } from "../errors.js";
import { type FlowIssue, formatOf, lineOf, parseFlow } from "./parse.js";
import { flowWarnings } from "./regex.js";
import { Flow, type FlowInput } from "./schema.js";

/** The flows shipped with Flank (`shared/flows`), the same path from `src/` and from `dist/`. */
export const SHIPPED_FLOWS_DIR = fileURLToPath(new URL("../../flows/", import.meta.url));
export const DEFAULT_FLOW_ID = "general-assistant";

export interface FlowRegistry {
  get(id: string): Flow | undefined;
  /** The flow named by `FLOW`, else general-assistant. */
  readonly default: Flow;
  /** The flow with this id, or the default when the id is missing or unknown. */
  resolve(id: string | undefined): Flow;
  ids(): string[];
}

export interface FlowRegistryOptions {
  /** `FLOW`: a flow id, or a path to a JSON/YAML flow file. */
  defaultFlow?: string;
  /** Directories of flow files read after the shipped ones; their ids may replace shipped flows. */
  dirs?: string[];
  /** Read `shared/flows` too (default true). */
  shipped?: boolean;
}

export async function loadFlowFile(path: string): Promise<Flow> {
  return parseFlow(await readFlowText(path), path, formatOf(path) ?? "yaml");
}

/** A flow file checked as `flows validate` does: the flow, and what loads but may hurt, with lines. */
export async function checkFlowFile(path: string): Promise<{ flow: Flow; warnings: FlowIssue[] }> {
  const text = await readFlowText(path);
  const flow = parseFlow(text, path, formatOf(path) ?? "yaml");
  const warnings = flowWarnings(flow).map((w) => ({
    path: w.path.join("."),
    line: lineOf(text, w.path),
    message: w.message,
  }));
  return { flow, warnings };
}

async function readFlowText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new FlankError("FlowError", `cannot read flow file ${path}: ${(err as Error).message}`, {
      context: { file: path },
      cause: err,
    });
  }
}

export async function loadFlowRegistry(opts: FlowRegistryOptions = {}): Promise<FlowRegistry> {
  const flows = new Map<string, { flow: Flow; file: string; shipped: boolean }>();
  const add = (flow: Flow, file: string, shipped: boolean) => {
    const seen = flows.get(flow.id);
    if (seen && !seen.shipped) {
      throw new FlankError("FlowError", `flow id "${flow.id}" is defined by both ${seen.file} and ${file}`, {
        context: { id: flow.id, files: [seen.file, file] },
      });
    }
    flows.set(flow.id, { flow, file, shipped });
  };

  const dirs = [
    ...(opts.shipped === false ? [] : [{ dir: SHIPPED_FLOWS_DIR, shipped: true }]),
    ...(opts.dirs ?? []).map((dir) => ({ dir, shipped: false })),
  ];
  for (const { dir, shipped } of dirs) {
    for (const file of await flowFiles(dir)) add(await loadFlowFile(file), file, shipped);
  }

  let defaultId = opts.defaultFlow?.trim() || DEFAULT_FLOW_ID;
  if (formatOf(defaultId) || defaultId.includes("/")) {
    const file = resolve(defaultId);
    const flow = await loadFlowFile(file);
    const seen = flows.get(flow.id);
    if (!seen || seen.file !== file) add(flow, file, false);
    defaultId = flow.id;
  }
  return registryOf(new Map([...flows].map(([id, f]) => [id, f.flow])), defaultId);
}

/** A registry of flows given in code (tests, embedded use); the first flow is the default. */
export function createFlowRegistry(inputs: readonly (Flow | FlowInput)[], defaultId?: string): FlowRegistry {
  const flows = new Map(inputs.map((input) => Flow.parse(input)).map((f) => [f.id, f] as const));
  return registryOf(flows, defaultId ?? flows.keys().next().value ?? DEFAULT_FLOW_ID);
}

function registryOf(flows: Map<string, Flow>, defaultId: string): FlowRegistry {
  const fallback = flows.get(defaultId);
  if (!fallback) {
    throw new FlankError(
      "FlowError",
      `FLOW "${defaultId}" is not a known flow (known: ${[...flows.keys()].sort().join(", ") || "none"})`,
      { context: { flow: defaultId } },
    );
  }
  return {
    get: (id) => flows.get(id),
    default: fallback,
    resolve: (id) => (id ? (flows.get(id) ?? fallback) : fallback),
    ids: () => [...flows.keys()].sort(),
  };
}

async function flowFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new FlankError("FlowError", `cannot read flow directory ${dir}: ${(err as Error).message}`, {
      context: { dir },
      cause: err,
    });
  }
  return names
    .filter((n) => formatOf(n) && !basename(n).startsWith("."))
    .sort()
    .map((n) => join(dir, n));
}
