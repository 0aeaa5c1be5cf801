#!/usr/bin/env node
// `npx flank …`: the compiled CLI, built first when this checkout has never been built.
import { fileURLToPath } from "node:url";
import { ensureBuilt } from "./build.mjs";

const entry = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const built = await ensureBuilt(entry);
if (built !== 0) process.exit(built);
const { runProcess } = await import("../dist/cli.js");
runProcess(process.argv.slice(2));
