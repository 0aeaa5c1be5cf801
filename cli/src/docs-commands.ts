/** A shell block of README.md or docs/*.md, as the docs-commands test runs it. */
export interface DocCommand {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  script: string;
  /** Why it is not run (the `<!-- not-run: reason -->` comment before the fence), when it is not. */
  notRun?: string;
}

/**
 * Every fenced `sh` or `bash` block of a Markdown text. A block preceded (blank lines aside) by
 * `<!-- not-run: reason -->` is one the reader runs but a test cannot: a real Meta account, a
 * Docker engine, a long-running process.
 */
export function shellBlocks(file: string, text: string): DocCommand[] {
  const lines = text.split("\n");
  const blocks: DocCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(sh|bash|shell)\s*$/.exec(lines[i] ?? "");
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith("```"));
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code block`);
    let before = i - 1;
    while (before >= 0 && (lines[before] ?? "").trim() === "") before--;
    const notRun = /^<!-- not-run: (.+?) -->$/.exec((lines[before] ?? "").trim())?.[1];
    blocks.push({
      file,
      line: i + 1,
      script: lines.slice(i + 1, end).join("\n"),
      ...(notRun ? { notRun } : {}),
    });
    i = end;
  }
  return blocks;
}

/** The variables an `export A=1 B=2` line sets (the banner's line for the docs' commands). */
export function exportedVars(text: string): Record<string, string> | undefined {
  const line = /^\s*export (.+)$/m.exec(text)?.[1];
  if (!line) return undefined;
  return Object.fromEntries(
    line
      .trim()
      .split(/\s+/)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
}
