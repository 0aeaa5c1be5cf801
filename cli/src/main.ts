import { runProcess } from "./cli.js";

// `npm start` runs `node cli/dist/main.js`: `flank start` unless a command is given.
runProcess(process.argv.slice(2));
