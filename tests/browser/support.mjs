// What the browser tests share: where demo_server and Chromium are, a development certificate
// Chromium can be told to trust, and a demo_server started on 127.0.0.1 and a free port.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { once } from "node:events";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const serverPath =
  process.env.DEMO_SERVER ?? new URL("../../build/bin/demo_server", import.meta.url).pathname;
export const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"];
const makeDevCerts = new URL("../../scripts/make-dev-certs.sh", import.meta.url).pathname;

// A server certificate from the dev CA (scripts/make-dev-certs.sh, into DEMO_CERT_DIR or a
// temporary directory), and the base64 SHA-256 of its SubjectPublicKeyInfo: what
// `openssl x509 -pubkey -noout -in server.pem | openssl pkey -pubin -outform der |
// openssl dgst -sha256 -binary | base64` prints, for --ignore-certificate-errors-spki-list.
export function devCertificate() {
  let dir = process.env.DEMO_CERT_DIR, temporary = false;
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), "fastactor-browser-certs-"));
    temporary = true;
  }
  execFileSync(makeDevCerts, [dir, "server"], { stdio: ["ignore", "ignore", "inherit"] });
  const cert = join(dir, "server.pem"), key = join(dir, "server.key");
  const spki = new X509Certificate(readFileSync(cert)).publicKey.export({ type: "spki", format: "der" });
  const pin = createHash("sha256").update(spki).digest("base64");
  return { cert, key, pin, cleanup: () => temporary && rmSync(dir, { recursive: true, force: true }) };
}

// demo_server with `args` (and `--port=0`), over HTTPS with `certs`' pair if given; resolves
// once it prints its first line: { child, url }.
export async function startDemoServer(args, certs) {
  const scheme = certs ? "https" : "http";
  const all = ["--port=0", ...args];
  if (certs) all.push(`--tls-cert=${certs.cert}`, `--tls-key=${certs.key}`);
  const child = spawn(serverPath, all, { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  child.stdout.setEncoding("utf8");
  while (!text.includes("\n")) {
    const [chunk] = await Promise.race([
      once(child.stdout, "data"),
      once(child, "exit").then(() => { throw new Error(`demo_server (${scheme}) exited before listening`); }),
    ]);
    text += chunk;
  }
  const match = new RegExp(`^listening on (${scheme}://127\\.0\\.0\\.1:\\d+)\\n`).exec(text);
  assert.ok(match, `unexpected first line: ${text}`);
  return { child, url: match[1] };
}
