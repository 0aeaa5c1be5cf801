// `npm run docs:api`: writes docs/http-api.md from the route table (after the gateway is built).
import { writeFileSync } from "node:fs";
import { renderHttpApiDoc } from "./http-api-doc.js";
import { HTTP_API_DOC } from "./http-api-doc-path.js";
import { buildOpenApi } from "./openapi.js";

writeFileSync(HTTP_API_DOC, renderHttpApiDoc(buildOpenApi()));
console.log(`wrote ${HTTP_API_DOC}`);
