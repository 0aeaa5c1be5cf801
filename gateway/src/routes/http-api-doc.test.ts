import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderHttpApiDoc } from "../http-api-doc.js";
import { HTTP_API_DOC } from "../http-api-doc-path.js";
import { buildOpenApi, ROUTE_TABLE } from "../openapi.js";

describe("docs/http-api.md", () => {
  it("is what `npm run docs:api` renders from /openapi.json (run it after changing the route table)", () => {
    const expected = renderHttpApiDoc(buildOpenApi());
    const actual = readFileSync(HTTP_API_DOC, "utf8");
    expect(actual === expected, "docs/http-api.md is out of date: run `npm run docs:api`").toBe(true);
  });

  it("names every operation of the route table", () => {
    const md = renderHttpApiDoc(buildOpenApi());
    for (const op of ROUTE_TABLE) {
      expect(md).toContain(`### \`${op.method.toUpperCase()} ${op.path}\``);
      expect(md).toContain(`\`${op.operationId}\``);
    }
  });
});
