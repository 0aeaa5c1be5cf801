import { z } from "zod";
import { error, type Op } from "./openapi-op.js";

const NumberQuery = z.object({
  phoneNumberId: z
    .string()
    .optional()
    .describe("the business number (the tenant) whose media it is; PHONE_NUMBER_ID when left out"),
});

/** `GET /v1/media/{id}` and `POST /v1/media` (gateway/src/routes/media.ts, docs/media.md). */
export const MEDIA_OPS: Op[] = [
  {
    method: "get",
    path: "/v1/media/{id}",
    operationId: "getMedia",
    summary:
      "An inbound media file the media worker stored, by Meta's media id (data.media.id of the message), streamed with its mime type",
    tag: "media",
    auth: "api",
    pathParams: ["id"],
    query: NumberQuery,
    responses: {
      200: {
        description: "the file, with its Content-Type",
        contentType: "*/*",
        schema: z.string(),
        example: "(the file's bytes)",
      },
      400: error("no phoneNumberId and no PHONE_NUMBER_ID"),
      401: error("missing or invalid key"),
      404: error(
        "no such media stored for this number (not yet downloaded, past MEDIA_RETENTION_DAYS, or another number's)",
      ),
    },
  },
  {
    method: "post",
    path: "/v1/media",
    operationId: "uploadMedia",
    summary:
      "Uploads a file (multipart `file`, or the raw body with its mime type as Content-Type) to the Graph API for the number and answers its media id, to send with /v1/messages",
    tag: "media",
    auth: "api",
    query: NumberQuery.extend({
      filename: z.string().optional().describe("the file's name, for a raw-body upload"),
    }),
    // A raw body works too (Content-Type the file's mime type; streamed up to Meta's limit for the type).
    body: z.object({
      file: z.string().meta({ format: "binary" }).describe("the file; at most 16 MB as multipart"),
    }),
    bodyType: "multipart/form-data",
    example: { file: "(the file's bytes)" },
    responses: {
      200: {
        description: "the media id",
        schema: z.object({ id: z.string() }),
        example: { id: "1037543291543636" },
      },
      400: error("no file, no type, or no number"),
      401: error("missing or invalid key"),
      404: error("the number has no enabled integration"),
      413: error(
        "past Meta's limit for the type (image 5 MB, audio and video 16 MB, document 100 MB, sticker 500 KB)",
      ),
      502: error("the Graph API refused or failed the upload"),
    },
  },
];
