import { fileURLToPath } from "node:url";

/** docs/http-api.md: the same path from src/ and from dist/. */
export const HTTP_API_DOC = fileURLToPath(new URL("../../docs/http-api.md", import.meta.url));
