import type { z } from "zod";
import { FlankError } from "../errors.js";

export interface FieldProblem {
  /** Dotted path, e.g. `templateFallback.language`. */
  path: string;
  message: string;
}

/** Input that breaks the integration schema; names every bad field. */
export class IntegrationInvalid extends FlankError {
  constructor(readonly problems: FieldProblem[]) {
    super(
      "IntegrationInvalid",
      `invalid integration: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
    );
  }

  static fromZod(error: z.ZodError): IntegrationInvalid {
    return new IntegrationInvalid(
      error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message })),
    );
  }
}

/** Another integration already uses this phone number id or verify token. */
export class IntegrationConflict extends FlankError {
  constructor(readonly field: string) {
    super("IntegrationConflict", `${field} is already used by another integration`, { context: { field } });
  }
}
