// The API's fixed paths, apart from the route modules so the route table (openapi.ts) and the
// routes can both import them without an import cycle.

/** The webhook's three paths (docs/architecture.md "HTTP surface"): Meta's, the legacy root one, and the versioned API one. */
export const WEBHOOK_PATHS = ["/webhook/whatsapp", "/webhook", "/api/v1/webhooks/whatsapp"] as const;
export const INTEGRATIONS_PATH = "/api/v1/channels/whatsapp/integrations";
export const EMBEDDED_SIGNUP_PATH = "/api/v1/channels/whatsapp/embedded-signup";
export const AGENTS_ADMIN_PATH = "/v1/admin/agents";
/** The API viewer; its assets are served under it (routes/docs.ts). */
export const DOCS_PATH = "/docs";
export const OPENAPI_PATH = "/openapi.json";
