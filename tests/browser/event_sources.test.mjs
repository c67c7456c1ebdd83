// Why HTTP/2 matters to a streaming server, shown in a real browser (Debian's Chromium through
// playwright-core): one page opens 20 EventSources at once on an HTTPS origin.
//  - Over HTTP/2 (ALPN h2, the default) they share one connection: all 20 get events within 2 s.
//  - Over HTTP/1.1 (the same server with --http2=0) Chromium opens at most six connections per
//    origin, and each open stream holds one: six streams get events, the other 14 wait.
// The contrast is the assertion, so the test proves the reason, not only the result.
//   DEMO_SERVER=build/bin/demo_server node --test tests/browser/event_sources.test.mjs
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { chromium } from "playwright-core";
import { chromiumArgs, chromiumPath, devCertificate, startDemoServer } from "./support.mjs";

const streams = 20;
const within = 2000;  // ms

// Opens `streams` EventSources (each a long SSE stream: 300 events, 100 ms apart) and counts
// those that received an event within `within` ms; also the protocol the page was loaded with.
async function openEventSources(page, url) {
  await page.goto(url + "/hello");
  const protocol = await page.evaluate(() => performance.getEntriesByType("navigation")[0].nextHopProtocol);
  const receiving = await page.evaluate(async ({ streams, within }) => {
    const started = new Set();
    const sources = [];
    for (let i = 0; i < streams; ++i) {
      const source = new EventSource(`/stream/sse?count=300&interval_ms=100&n=${i}`);
      source.addEventListener("tick", () => started.add(i));
      sources.push(source);
    }
    await new Promise((resolve) => setTimeout(resolve, within));
    for (const source of sources) source.close();
    return started.size;
  }, { streams, within });
  return { protocol, receiving };
}

describe("20 EventSources on one HTTPS origin", () => {
  let certs, browser, h2Server, h1Server;

  before(async () => {
    certs = devCertificate();
    h2Server = await startDemoServer(["--access-log=0"], certs);
    h1Server = await startDemoServer(["--access-log=0", "--http2=0"], certs);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [...chromiumArgs, `--ignore-certificate-errors-spki-list=${certs.pin}`],
    });
  });

  after(async () => {
    await browser?.close();
    for (const server of [h2Server, h1Server]) {
      if (!server) continue;
      server.child.kill("SIGTERM");
      const [code] = await once(server.child, "exit");
      assert.equal(code, 0, "demo_server exits 0 on SIGTERM");
    }
    certs?.cleanup();
  });

  test("over HTTP/2 all 20 receive events within 2 s; over HTTP/1.1 only six do", async () => {
    const h2 = await openEventSources(await browser.newPage(), h2Server.url);
    const h1 = await openEventSources(await browser.newPage(), h1Server.url);
    assert.equal(h2.protocol, "h2");
    assert.equal(h1.protocol, "http/1.1");
    assert.equal(h2.receiving, streams, "every stream is served at once over HTTP/2");
    assert.ok(h1.receiving >= 1 && h1.receiving <= 6,
              `HTTP/1.1: at most six connections per origin, so at most six live streams (got ${h1.receiving})`);
  });
});
