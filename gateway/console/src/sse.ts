/** One server-sent event: its `event` name (default "message"), `id` and `data` lines joined. */
export interface SseFrame {
  event: string;
  id?: string;
  data: string;
}

/**
 * An incremental parser for `text/event-stream` (the console reads the stream with fetch, since
 * EventSource cannot send the Authorization header). Pure: feed chunks, get the complete frames;
 * comments (`: ping`) and frames without data are dropped.
 */
export function createSseParser(): (chunk: string) => SseFrame[] {
  let buffer = "";
  return (chunk) => {
    buffer += chunk.replace(/\r\n?/g, "\n");
    const frames: SseFrame[] = [];
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const frame = parseBlock(block);
      if (frame) frames.push(frame);
      end = buffer.indexOf("\n\n");
    }
    return frames;
  };
}

function parseBlock(block: string): SseFrame | undefined {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { event, ...(id === undefined ? {} : { id }), data: data.join("\n") } : undefined;
}
