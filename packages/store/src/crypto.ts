// Sealing of secrets at rest: AES-256-GCM with a 32-byte key from the environment. Every sealed
// value names the key that sealed it (`keyId`), so old keys can stay readable while a new one seals.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { DecryptError, EncryptionKeyError } from "./errors.ts";

const IV_BYTES = 12;
const FORMAT = "v1";

/** Parses a 32-byte key given as 64 hex characters or base64 (a Buffer is taken as is). */
export function parseEncryptionKey(key: string | Buffer, origin = "encryption key"): Buffer {
  if (Buffer.isBuffer(key)) {
    if (key.length !== 32) throw new EncryptionKeyError(`${origin} must be 32 bytes, got ${key.length}`);
    return key;
  }
  const text = key.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  if (bytes.length !== 32)
    throw new EncryptionKeyError(
      `${origin} must be 32 bytes as 64 hex characters or base64 (e.g. \`openssl rand -base64 32\`), got ${bytes.length} bytes`,
    );
  return bytes;
}

/** A short, stable, non-secret name for a key: the first 8 hex characters of its SHA-256. */
export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

/** Seals and opens values with the current key; opens with previous keys too. */
export class SecretCipher {
  readonly keyId: string;
  readonly #current: Buffer;
  readonly #keys: Map<string, Buffer>;

  constructor(current: Buffer, previous: Buffer[] = []) {
    this.#current = current;
    this.keyId = keyIdOf(current);
    this.#keys = new Map([...previous, current].map((key) => [keyIdOf(key), key]));
  }

  /** Encrypts `plaintext`; `context` (e.g. the credential name) is authenticated, so a sealed value cannot be moved to another row. */
  seal(plaintext: string, context: string): { ciphertext: string; keyId: string } {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#current, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return {
      ciphertext: [FORMAT, iv.toString("base64"), tag.toString("base64"), body.toString("base64")].join("."),
      keyId: this.keyId,
    };
  }

  open(sealed: string, keyId: string, context: string): string {
    const key = this.#keys.get(keyId);
    if (!key)
      throw new DecryptError(
        `the value was sealed with key ${keyId}, which is neither WEFT_ENCRYPTION_KEY nor in WEFT_ENCRYPTION_KEYS_PREVIOUS`,
        { keyId, context },
      );
    const [format, iv, tag, body] = sealed.split(".");
    if (format !== FORMAT || iv === undefined || tag === undefined || body === undefined)
      throw new DecryptError("the sealed value has an unknown format", { keyId, context });
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString("utf8");
    } catch (error) {
      throw new DecryptError(
        "the sealed value failed authentication (altered, or sealed for another row)",
        {
          keyId,
          context,
        },
        { cause: error },
      );
    }
  }
}

/**
 * The key to use: the explicit option, else WEFT_ENCRYPTION_KEY, else (for zero-setup development)
 * a key generated once and kept in `<dataDir>/encryption.key` with mode 0600.
 */
export async function loadEncryptionKey(explicit: string | Buffer | undefined, dataDir: string): Promise<Buffer> {
  if (explicit !== undefined) return parseEncryptionKey(explicit, "encryptionKey");
  const fromEnv = process.env.WEFT_ENCRYPTION_KEY;
  if (fromEnv) return parseEncryptionKey(fromEnv, "WEFT_ENCRYPTION_KEY");
  const file = path.resolve(dataDir, "encryption.key");
  if (existsSync(file)) return parseEncryptionKey(await readFile(file, "utf8"), file);
  await mkdir(path.dirname(file), { recursive: true });
  const key = randomBytes(32);
  await writeFile(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" }).catch(async (error) => {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
    throw error;
  });
  await chmod(file, 0o600);
  return parseEncryptionKey(await readFile(file, "utf8"), file);
}

/** Previous keys from the option or WEFT_ENCRYPTION_KEYS_PREVIOUS (comma-separated). */
export function loadPreviousKeys(explicit: (string | Buffer)[] | undefined): Buffer[] {
  const list = explicit ?? (process.env.WEFT_ENCRYPTION_KEYS_PREVIOUS ?? "").split(",").filter((k) => k.trim() !== "");
  return list.map((key, i) => parseEncryptionKey(key, `previous encryption key #${i + 1}`));
}
