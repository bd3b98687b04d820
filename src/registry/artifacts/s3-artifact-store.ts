import { readFile, writeFile } from "node:fs/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { NotFoundError, ServiceUnavailableError } from "../../errors/index.js";
import { checkArtifactKey, joinKey, type ArtifactStore } from "./artifact-store.js";

type S3Module = typeof import("@aws-sdk/client-s3");

let s3ModulePromise: Promise<S3Module> | undefined;
const clients = new Map<string, S3Client>();

/**
 * Artifacts in S3 or an S3-compatible server (MinIO). Endpoint, region and credentials come from the
 * standard AWS environment (`AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, `AWS_REGION`,
 * `AWS_ACCESS_KEY_ID`...). With a custom endpoint, path-style addressing is used (what MinIO expects);
 * `AWS_S3_FORCE_PATH_STYLE=true|false` overrides. A PUT is atomic in S3: an object appears whole or not at all.
 * The AWS SDK is loaded only when an `s3://` URI is used.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly rootUri: string;

  constructor(
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.rootUri = `s3://${bucket}${prefix ? `/${prefix}` : ""}`;
  }

  async put(key: string, localFile: string): Promise<void> {
    const { s3, client } = await this.client();
    const body = await readFile(localFile);
    await this.call(`upload ${key}`, () =>
      client.send(
        new s3.PutObjectCommand({
          Bucket: this.bucket,
          Key: this.fullKey(key),
          Body: body,
          ContentLength: body.length,
        }),
      ),
    );
  }

  async get(key: string, localFile: string): Promise<void> {
    const { s3, client } = await this.client();
    let out;
    try {
      out = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === "NoSuchKey" || name === "NotFound") {
        throw new NotFoundError(`artifact ${key} not found under ${this.rootUri}`, { cause: err });
      }
      throw this.unavailable(`download ${key}`, err);
    }
    const bytes = await out.Body!.transformToByteArray();
    await writeFile(localFile, bytes);
  }

  async list(prefix = ""): Promise<string[]> {
    const { s3, client } = await this.client();
    const base = joinKey(this.prefix, prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(`list ${prefix}`, () =>
        client.send(
          new s3.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: base ? `${base}/` : undefined,
            ContinuationToken: token,
          }),
        ),
      );
      for (const o of page.Contents ?? [])
        if (o.Key) keys.push(this.prefix ? o.Key.slice(this.prefix.length + 1) : o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  private fullKey(key: string): string {
    return joinKey(this.prefix, checkArtifactKey(key));
  }

  private async client(): Promise<{ s3: S3Module; client: S3Client }> {
    // Lakay runs on Node 20 by design; the SDK's multi-line "upgrade Node" notice on every command would
    // bury Lakay's one-line messages. A user who wants it back sets the variable to "false".
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    s3ModulePromise ??= import("@aws-sdk/client-s3");
    const s3 = await s3ModulePromise;
    const endpoint = this.env.AWS_ENDPOINT_URL_S3 ?? this.env.AWS_ENDPOINT_URL;
    const region = this.env.AWS_REGION ?? this.env.AWS_DEFAULT_REGION ?? "us-east-1";
    const forcePathStyle = this.env.AWS_S3_FORCE_PATH_STYLE
      ? this.env.AWS_S3_FORCE_PATH_STYLE === "true"
      : !!endpoint;
    const cacheKey = `${endpoint ?? ""}|${region}|${forcePathStyle}|${this.env.AWS_ACCESS_KEY_ID ?? ""}`;
    let client = clients.get(cacheKey);
    if (!client) {
      client = new s3.S3Client({
        endpoint,
        region,
        forcePathStyle,
        // Checksums are ours (SHA-256 in the registry); skipping the SDK's default CRC trailers keeps
        // S3-compatible servers that do not speak them (older MinIO, s3rver) working.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      });
      clients.set(cacheKey, client);
    }
    return { s3, client };
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.unavailable(what, err);
    }
  }

  private unavailable(what: string, err: unknown): ServiceUnavailableError {
    const e = err as { name?: string; message?: string };
    return new ServiceUnavailableError(
      `artifact store ${this.rootUri}: cannot ${what}: ${e.message || e.name || String(err)}`,
      {
        cause: err,
      },
    );
  }
}
