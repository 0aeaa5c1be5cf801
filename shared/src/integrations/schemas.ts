import { z } from "zod";

/**
 * What an integration may hold, validated once per field. The service takes the camelCase
 * shapes (as the store keeps them); the HTTP API takes the snake_case ones, which map onto them.
 */
const digits = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{5,20}$/, `${what} must be 5 to 20 digits`);
const label = z.string().trim().min(1).max(200);
const secret = z.string().trim().min(8, "must be at least 8 characters").max(4096);
/**
 * The business's display number as people write it (`+1-555-555-5555`, `+1 (555) 555 5555`),
 * with its country code; stored as digits only, the form Meta's webhooks use.
 */
const phoneNumber = z
  .string()
  .trim()
  .transform((v) => v.replace(/[\s().-]/g, ""))
  .pipe(
    z
      .string()
      .regex(/^\+?[1-9]\d{5,14}$/, "must be a phone number with its country code, e.g. +1-555-555-5555"),
  )
  .transform((v) => v.replace(/^\+/, ""));
const verifyToken = z
  .string()
  .trim()
  .min(8, "must be at least 8 characters")
  .max(200)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

/** The template sent when the 24-hour window is closed (contract: template message). */
export const TemplateFallback = z.strictObject({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, "must be a template name: lowercase letters, digits and _"),
  language: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'must be a language code, e.g. "en_US"'),
  components: z.array(z.record(z.string(), z.unknown())).max(20).optional(),
});
export type TemplateFallback = z.infer<typeof TemplateFallback>;

export const IntegrationInput = z.strictObject({
  organizationId: label.optional(),
  agentFlowId: label.optional(),
  phoneNumber: phoneNumber.optional(),
  phoneNumberId: digits("phoneNumberId"),
  wabaId: digits("wabaId").optional(),
  accessToken: secret,
  /** Generated when left out. */
  verifyToken: verifyToken.optional(),
  appSecret: secret.optional(),
  templateFallback: TemplateFallback.optional(),
  enabled: z.boolean().default(true),
});
export type IntegrationInput = z.input<typeof IntegrationInput>;

export const IntegrationPatch = IntegrationInput.partial()
  .extend({ enabled: z.boolean().optional() })
  .refine((p) => Object.values(p).some((v) => v !== undefined), "at least one field to change is required");
export type IntegrationPatch = z.input<typeof IntegrationPatch>;

/** The HTTP body of `POST …/integrations` (snake_case on the wire). */
export const CreateIntegrationBody = z
  .strictObject({
    organization_id: label.optional(),
    agent_flow_id: label.optional(),
    phone_number: phoneNumber.optional(),
    phone_number_id: digits("phone_number_id"),
    waba_id: digits("waba_id").optional(),
    access_token: secret,
    verify_token: verifyToken.optional(),
    app_secret: secret.optional(),
    template_fallback: TemplateFallback.optional(),
    enabled: z.boolean().optional(),
  })
  .transform(
    (b): IntegrationInput => ({
      organizationId: b.organization_id,
      agentFlowId: b.agent_flow_id,
      phoneNumber: b.phone_number,
      phoneNumberId: b.phone_number_id,
      wabaId: b.waba_id,
      accessToken: b.access_token,
      verifyToken: b.verify_token,
      appSecret: b.app_secret,
      templateFallback: b.template_fallback,
      enabled: b.enabled,
    }),
  );

/** The HTTP body of `PUT|PATCH …/integrations/:id`: any subset of the fields. */
export const UpdateIntegrationBody = z
  .strictObject({
    organization_id: label.optional(),
    agent_flow_id: label.optional(),
    phone_number: phoneNumber.optional(),
    phone_number_id: digits("phone_number_id").optional(),
    waba_id: digits("waba_id").optional(),
    access_token: secret.optional(),
    verify_token: verifyToken.optional(),
    app_secret: secret.optional(),
    template_fallback: TemplateFallback.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), "at least one field to change is required")
  .transform(
    (b): IntegrationPatch => ({
      organizationId: b.organization_id,
      agentFlowId: b.agent_flow_id,
      phoneNumber: b.phone_number,
      phoneNumberId: b.phone_number_id,
      wabaId: b.waba_id,
      accessToken: b.access_token,
      verifyToken: b.verify_token,
      appSecret: b.app_secret,
      templateFallback: b.template_fallback,
      enabled: b.enabled,
    }),
  );

/** Store field → wire field, for error messages that name what the client sent. */
export const WIRE_FIELD: Record<string, string> = {
  organizationId: "organization_id",
  agentFlowId: "agent_flow_id",
  phoneNumber: "phone_number",
  phoneNumberId: "phone_number_id",
  wabaId: "waba_id",
  accessToken: "access_token",
  verifyToken: "verify_token",
  appSecret: "app_secret",
  templateFallback: "template_fallback",
  enabled: "enabled",
  id: "id",
};
