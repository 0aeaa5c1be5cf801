#!/usr/bin/env node
// `npx flank …`: the built CLI (npm start / npm run build compiles it to cli/dist).
import { runProcess } from "../dist/cli.js";

runProcess(process.argv.slice(2));
