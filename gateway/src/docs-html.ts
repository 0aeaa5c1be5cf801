/** A self-contained HTML page (no scripts, no CDN) listing the operations of an OpenAPI document. */

const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch,
  );

type Json = Record<string, unknown>;
const asObj = (v: unknown): Json => (typeof v === "object" && v !== null ? (v as Json) : {});
const pretty = (v: unknown) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;

function renderOperation(method: string, path: string, op: Json): string {
  const params = (Array.isArray(op.parameters) ? op.parameters : []).map(asObj);
  const body = asObj(asObj(asObj(op.requestBody).content)["application/json"]).schema;
  const responses = Object.entries(asObj(op.responses)).map(([status, r]) => {
    const content = Object.values(asObj(asObj(r).content)).map(asObj)[0];
    return `<li><b>${esc(status)}</b> ${esc(String(asObj(r).description ?? ""))}${
      content?.schema ? `<details><summary>schema</summary>${pretty(content.schema)}</details>` : ""
    }</li>`;
  });
  return `<section id="${esc(`${method}-${path}`)}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code>${
    op.security ? ' <span class="lock">API key</span>' : ""
  }</h3>
<p>${esc(String(op.summary ?? ""))}</p>
${
  params.length > 0
    ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${params
        .map(
          (p) =>
            `<tr><td><code>${esc(String(p.name))}</code></td><td>${esc(String(p.in))}</td><td>${
              p.required ? "yes" : "no"
            }</td><td><code>${esc(JSON.stringify(p.schema ?? {}))}</code>${
              p.description ? ` ${esc(String(p.description))}` : ""
            }</td></tr>`,
        )
        .join("")}</table>`
    : ""
}
${body ? `<details><summary>request body</summary>${pretty(body)}</details>` : ""}
<ul>${responses.join("")}</ul>
</section>`;
}

export function renderDocs(doc: Json): string {
  const info = asObj(doc.info);
  const sections = Object.entries(asObj(doc.paths)).flatMap(([path, item]) =>
    Object.entries(asObj(item)).map(([method, op]) => renderOperation(method, path, asObj(op))),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(String(info.title ?? "API"))}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}
.m{display:inline-block;min-width:3.5rem;text-align:center;border-radius:4px;color:#fff;font-size:.8em;padding:0 .3rem}
.get{background:#2b7bb9}.post{background:#3a9d5d}
.lock{font-size:.75em;color:#8a5a00;border:1px solid #e0c070;border-radius:4px;padding:0 .3rem}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;font-size:.85em}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .4rem;text-align:left;font-size:.9em}
</style></head><body>
<h1>${esc(String(info.title ?? "API"))}</h1>
<p>${esc(String(info.description ?? ""))}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
${sections.join("\n")}
</body></html>`;
}
