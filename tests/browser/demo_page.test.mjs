// The demo page in a real browser: Debian's Chromium, headless, driven by playwright-core,
// against a demo_server started here on 127.0.0.1 and a free port.
//   DEMO_SERVER=build/bin/demo_server node --test tests/browser/demo_page.test.mjs
// SCREENSHOT=path.png also saves a picture of the page once everything has run.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chromium } from "playwright-core";

const serverPath = process.env.DEMO_SERVER ?? new URL("../../build/bin/demo_server", import.meta.url).pathname;
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

let server, browser, page, baseUrl;

async function startServer() {
  const child = spawn(serverPath, ["--port=0"], { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  child.stdout.setEncoding("utf8");
  while (!text.includes("\n")) {
    const [chunk] = await Promise.race([
      once(child.stdout, "data"),
      once(child, "exit").then(() => { throw new Error("demo_server exited before listening"); }),
    ]);
    text += chunk;
  }
  const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(text);
  assert.ok(match, `unexpected first line: ${text}`);
  return { child, url: match[1] };
}

before(async () => {
  ({ child: server, url: baseUrl } = await startServer());
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(baseUrl + "/");
});

after(async () => {
  if (page && process.env.SCREENSHOT) {
    await page.waitForFunction(() => window.demo.ndjson?.done && window.demo.sse?.done, null, { timeout: 20000 });
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  }
  await browser?.close();
  if (server) {
    server.kill("SIGTERM");
    const [code] = await once(server, "exit");
    assert.equal(code, 0, "demo_server exits 0 on SIGTERM");
  }
});

test("text chunks are rendered while the server is still producing them", async () => {
  await page.waitForFunction(() => window.demo.text["/stream/concurrent"]?.done, null, { timeout: 15000 });
  const s = await page.evaluate(() => window.demo.text["/stream/concurrent"]);
  // The stream lasts about a second; the page saw its first chunk long before its last.
  assert.ok(s.chunks >= 5, `chunks seen separately: ${s.chunks}`);
  assert.ok(s.lastChunkAt - s.firstChunkAt >= 600, `first→last chunk: ${s.lastChunkAt - s.firstChunkAt} ms`);
  assert.equal(s.body.trim().split("\n").length, 15);
  const rendered = await page.locator('section[data-endpoint="/stream/concurrent"] pre div').count();
  assert.equal(rendered, s.chunks, "every chunk was rendered as it arrived");
  for (const endpoint of ["/concurrent/basic", "/concurrent/advanced", "/parallel/execute"]) {
    await page.waitForFunction((e) => window.demo.text[e]?.done, endpoint, { timeout: 15000 });
  }
  const advanced = await page.evaluate(() => window.demo.text["/concurrent/advanced"]);
  assert.equal(advanced.body, "Database result loaded\nAPI service responded\n");
});

test("EventSource gets events from three workers and resumes after a reconnect", async () => {
  await page.waitForFunction(() => window.demo.sse?.done, null, { timeout: 30000 });
  const s = await page.evaluate(() => ({ ids: window.demo.sse.ids, workers: window.demo.sse.workers, opens: window.demo.sse.opens }));
  assert.ok(s.workers.length >= 3, `workers: ${s.workers}`);
  assert.ok(s.opens >= 2, `the stream ended and the browser reconnected (opens: ${s.opens})`);
  for (let i = 1; i < s.ids.length; i++)
    assert.ok(s.ids[i] > s.ids[i - 1], `ids strictly increase across the reconnect: ${s.ids}`);
  assert.equal(new Set(s.ids).size, s.ids.length, "no duplicate ids");
});

test("the NDJSON progress bars all reach 100 %", async () => {
  await page.waitForFunction(() => window.demo.ndjson?.done, null, { timeout: 15000 });
  const s = await page.evaluate(() => window.demo.ndjson);
  const workers = Object.keys(s.progress);
  assert.equal(workers.length, 4);
  for (const w of workers) assert.equal(s.progress[w], 100, `worker ${w}`);
  assert.equal(s.summary.items, 40);
  const fills = await page.locator("#ndjson .fill.full").count();
  assert.equal(fills, 4, "four full bars on the page");
});

test("the page shows the errors of /concurrent/error", async () => {
  await page.waitForFunction(() => window.demo.errors, null, { timeout: 15000 });
  const s = await page.evaluate(() => window.demo.errors);
  assert.equal(s.status, 500);
  assert.equal(s.shown, 3);
  const text = await page.locator("#errors ul.errors").innerText();
  assert.match(text, /database connection refused/);
  assert.match(text, /threw: payment service crashed/);
  assert.match(text, /cache lookup timed out/);
});
