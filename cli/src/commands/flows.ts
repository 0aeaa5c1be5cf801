import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { FlankError } from "@flank/shared/errors";
import { checkFlowFile } from "@flank/shared/flows";
import { EXIT, type Io, UsageError } from "../io.js";

/**
 * `flank flows validate <file>...`: for each file, OK with the flow's id, or every problem as
 * file:line; warnings (a regex with nested quantifiers) are printed as file:line too but do not
 * fail the check. Exits 1 when any file fails, after checking them all.
 */
export async function flowsCommand(args: string[], io: Io): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true });
  const [sub, ...files] = positionals;
  if (sub !== "validate")
    throw new UsageError(sub ? `unknown flows command "${sub}"` : "missing flows command");
  if (files.length === 0) throw new UsageError("flows validate needs at least one file");
  let code: number = EXIT.ok;
  for (const file of files) if ((await validateOne(file, io)) !== EXIT.ok) code = EXIT.failure;
  return code;
}

async function validateOne(file: string, io: Io): Promise<number> {
  try {
    const { flow, warnings } = await checkFlowFile(resolve(io.cwd, file));
    for (const w of warnings)
      io.stderr(`warning: ${file}${w.line ? `:${w.line}` : ""}: ${w.path}: ${w.message}\n`);
    const stages = Object.keys(flow.stages).length;
    io.stdout(
      `OK ${file}: flow "${flow.id}", ${stages} stage${stages === 1 ? "" : "s"}, starts at "${flow.initialStage}"\n`,
    );
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof FlankError)) throw err;
    io.stderr(`${err.message}\n`);
    return EXIT.failure;
  }
}
