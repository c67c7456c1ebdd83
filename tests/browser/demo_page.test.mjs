// The demo page in a real browser: Debian's Chromium, headless, driven by playwright-core,
// against a demo_server started here on 127.0.0.1 and a free port, once per transport:
//  - http:  plain HTTP;
//  - https: demo_server with a development certificate (scripts/make-dev-certs.sh, into
//    DEMO_CERT_DIR or a temporary directory), which Chromium accepts because it is told the
//    hash of the certificate's public key (--ignore-certificate-errors-spki-list), and for no
//    other certificate: a browser without the pin refuses it.
//   DEMO_SERVER=build/bin/demo_server node --test tests/browser/demo_page.test.mjs
// TRANSPORTS=http or TRANSPORTS=https runs one (CTest registers browser_demo_page and
// browser_demo_page_https); every test name starts with its transport.
// SCREENSHOT=path.png also saves a picture of the first transport's page once everything has run.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { chromium } from "playwright-core";
import { chromiumArgs, chromiumPath, devCertificate, startDemoServer } from "./support.mjs";

const transports = (process.env.TRANSPORTS ?? "http,https").split(",").map((t) => t.trim());
for (const t of transports) assert.ok(["http", "https"].includes(t), `unknown transport '${t}' in TRANSPORTS`);

for (const [index, transport] of transports.entries()) {
  describe(`demo page over ${transport}`, () => {
    let server, browser, page, baseUrl, certs, navigation, securityStates = [];
    const codings = {};  // path -> what Chromium offered (Accept-Encoding) and what came back

    before(async () => {
      const args = [...chromiumArgs];
      if (transport === "https") {
        certs = devCertificate();
        args.push(`--ignore-certificate-errors-spki-list=${certs.pin}`);
      }
      ({ child: server, url: baseUrl } = await startDemoServer([], certs));
      browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args });
      page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      // What the address bar would show: the page's security state, certificate errors included.
      const cdp = await page.context().newCDPSession(page);
      cdp.on("Security.visibleSecurityStateChanged", (e) => securityStates.push(e.visibleSecurityState));
      await cdp.send("Security.enable");
      page.on("response", async (response) => {
        const offered = (await response.request().allHeaders())["accept-encoding"] ?? "";
        const got = (await response.allHeaders())["content-encoding"] ?? "";
        codings[new URL(response.url()).pathname] = { offered, got };
      });
      navigation = await page.goto(baseUrl + "/");
    });

    after(async () => {
      if (page && process.env.SCREENSHOT && index === 0) {
        await page.waitForFunction(() => window.demo.ndjson?.done && window.demo.sse?.done, null, { timeout: 20000 });
        await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
      }
      await browser?.close();
      if (server) {
        server.kill("SIGTERM");
        const [code] = await once(server, "exit");
        assert.equal(code, 0, `demo_server (${transport}) exits 0 on SIGTERM`);
      }
      certs?.cleanup();
    });

    if (transport === "https") {
      test("https: the page is served over TLS with a certificate Chromium accepts", async () => {
        assert.equal(navigation.status(), 200);
        assert.equal(await page.evaluate(() => location.protocol), "https:");
        const details = await navigation.securityDetails();
        assert.ok(details, "the response has security details");
        assert.match(details.protocol, /^TLS 1\.[23]$/);
        assert.equal(details.subjectName, "server");
        assert.match(details.issuer, /fastactor dev CA/);
        // ALPN: the server offers h2 first, and Chromium takes it; the page and every stream
        // on it (below) are then served over HTTP/2.
        assert.equal(await page.evaluate(() => performance.getEntriesByType("navigation")[0].nextHopProtocol), "h2");
        await page.waitForFunction(() => window.demo.ndjson?.done && window.demo.sse?.done, null, { timeout: 30000 });
        const urls = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name));
        assert.ok(urls.length >= 5, `the page's fetches: ${urls}`);
        for (const url of urls) assert.ok(url.startsWith(baseUrl + "/"), `fetched over https: ${url}`);
        const state = securityStates.at(-1);
        assert.ok(state, "Chromium reported the page's security state");
        assert.equal(state.securityState, "secure", `security state: ${JSON.stringify(state)}`);
        assert.deepEqual(state.securityStateIssueIds, []);
        const cert = state.certificateSecurityState;
        assert.ok(cert, "the state describes the certificate");
        assert.equal(cert.certificateNetworkError ?? null, null, "no certificate error");
        assert.equal(cert.certificateHasWeakSignature, false);
      });

      test("https: without the pin Chromium refuses the dev certificate", async () => {
        const strict = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
        try {
          const p = await strict.newPage();
          await assert.rejects(p.goto(baseUrl + "/"), /ERR_CERT_AUTHORITY_INVALID/);
        } finally {
          await strict.close();
        }
      });
    }

    test(`${transport}: text chunks are rendered while the server is still producing them`, async () => {
      await page.waitForFunction(() => window.demo.text["/stream/concurrent"]?.done, null, { timeout: 15000 });
      const s = await page.evaluate(() => window.demo.text["/stream/concurrent"]);
      // The stream lasts about a second; the page saw its first chunk long before its last.
      // (Its 15 lines come from 0 to about 920 ms, but on a loaded machine Chromium reads
      // several at once: one full ctest -j2 run saw 4 separate chunks, another its first chunk
      // so late that the first and the last were 462 ms apart. Three chunks and 400 ms between
      // the first and the last, against 0 for a response delivered whole, still prove that the
      // page rendered while the stream ran.)
      assert.ok(s.chunks >= 3, `chunks seen separately: ${s.chunks}`);
      assert.ok(s.lastChunkAt - s.firstChunkAt >= 400, `first→last chunk: ${s.lastChunkAt - s.firstChunkAt} ms`);
      assert.equal(s.body.trim().split("\n").length, 15);
      const rendered = await page.locator('section[data-endpoint="/stream/concurrent"] pre div').count();
      assert.equal(rendered, s.chunks, "every chunk was rendered as it arrived");
      for (const endpoint of ["/concurrent/basic", "/concurrent/advanced", "/parallel/execute"]) {
        await page.waitForFunction((e) => window.demo.text[e]?.done, endpoint, { timeout: 15000 });
      }
      // Both lines, in either order: when the machine stalls past the 30 ms between the two
      // workers' timers, both are due at once and either may write first (tests/support/
      // demo_bodies.hpp); the order and the timing are test_demo_endpoints.cpp's to check.
      const advanced = await page.evaluate(() => window.demo.text["/concurrent/advanced"]);
      assert.deepEqual(advanced.body.split("\n").filter(Boolean).sort(),
                       ["API service responded", "Database result loaded"]);
    });

    test(`${transport}: EventSource gets events from three workers and resumes after a reconnect`, async () => {
      await page.waitForFunction(() => window.demo.sse?.done, null, { timeout: 30000 });
      const s = await page.evaluate(() => ({ ids: window.demo.sse.ids, workers: window.demo.sse.workers, opens: window.demo.sse.opens }));
      assert.ok(s.workers.length >= 3, `workers: ${s.workers}`);
      assert.ok(s.opens >= 2, `the stream ended and the browser reconnected (opens: ${s.opens})`);
      for (let i = 1; i < s.ids.length; i++)
        assert.ok(s.ids[i] > s.ids[i - 1], `ids strictly increase across the reconnect: ${s.ids}`);
      assert.equal(new Set(s.ids).size, s.ids.length, "no duplicate ids");
    });

    test(`${transport}: the NDJSON progress bars all reach 100 %`, async () => {
      await page.waitForFunction(() => window.demo.ndjson?.done, null, { timeout: 15000 });
      const s = await page.evaluate(() => window.demo.ndjson);
      const workers = Object.keys(s.progress);
      assert.equal(workers.length, 4);
      for (const w of workers) assert.equal(s.progress[w], 100, `worker ${w}`);
      assert.equal(s.summary.items, 40);
      const fills = await page.locator("#ndjson .fill.full").count();
      assert.equal(fills, 4, "four full bars on the page");
    });

    // Chromium asks for compression by itself (gzip, deflate — and br, zstd over HTTPS); the
    // streams above rendered chunk by chunk although every one of them was coded.
    test(`${transport}: the streams arrive compressed in the best coding Chromium offers`, async () => {
      await page.waitForFunction(() => window.demo.ndjson?.done && window.demo.sse?.done, null, { timeout: 30000 });
      for (const path of ["/stream/sse", "/stream/ndjson", "/stream/concurrent"]) {
        const seen = codings[path];
        assert.ok(seen, `Chromium fetched ${path}`);
        const offered = seen.offered.split(",").map((c) => c.trim().split(";")[0]);
        const best = ["zstd", "gzip", "br"].find((c) => offered.includes(c));  // --compress-prefer
        assert.ok(best, `Chromium offers a coding the server makes: '${seen.offered}'`);
        assert.equal(seen.got, best, `${path}: Content-Encoding for Accept-Encoding '${seen.offered}'`);
      }
    });

    test(`${transport}: the page shows the errors of /concurrent/error`, async () => {
      await page.waitForFunction(() => window.demo.errors, null, { timeout: 15000 });
      const s = await page.evaluate(() => window.demo.errors);
      assert.equal(s.status, 500);
      assert.equal(s.shown, 3);
      const text = await page.locator("#errors ul.errors").innerText();
      assert.match(text, /database connection refused/);
      assert.match(text, /threw: payment service crashed/);
      assert.match(text, /cache lookup timed out/);
    });
  });
}
