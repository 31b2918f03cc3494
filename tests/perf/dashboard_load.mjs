// The dashboard's city page in Debian's Chromium, timed by the browser itself: first contentful paint, and the
// page's own mark "jinguo-figures-loaded" (every figure, chart, trend and the county map drawn), from navigation
// start; and the bytes the page transferred (the document and every resource, with a cold cache).
// usage: node dashboard_load.mjs URL TOKEN REGION ROUNDS   (prints one JSON line per round, then the medians)
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { default: puppeteer } = await import(
  path.join(here, "../../web/node_modules/puppeteer-core/lib/esm/puppeteer/puppeteer-core.js"));
const [url, token, region, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText || 5);

const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
const results = [];
try {
  for (let r = 0; r < rounds; r++) {
    const context = await browser.createBrowserContext();  // a cold cache each round
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.evaluateOnNewDocument(t => sessionStorage.setItem("jinguo.token", t), token);
    await page.goto(`${url}/#region=${region}`, { waitUntil: "load" });
    await page.waitForFunction(r => document.body.dataset.loaded === r &&
                                    performance.getEntriesByName("jinguo-figures-loaded").length > 0,
                               { timeout: 120000 }, region);
    const m = await page.evaluate(() => {
      const paint = performance.getEntriesByName("first-contentful-paint")[0];
      const loaded = performance.getEntriesByName("jinguo-figures-loaded")[0];
      const nav = performance.getEntriesByType("navigation")[0];
      const resources = performance.getEntriesByType("resource");
      const bytes = nav.transferSize + resources.reduce((t, e) => t + e.transferSize, 0);
      const decoded = nav.decodedBodySize + resources.reduce((t, e) => t + e.decodedBodySize, 0);
      return { first_paint_ms: Math.round(paint ? paint.startTime : -1), figures_loaded_ms: Math.round(loaded.startTime),
               transfer_kib: Math.round(bytes / 1024), decoded_kib: Math.round(decoded / 1024),
               requests: resources.length + 1 };
    });
    console.log(JSON.stringify({ round: r + 1, ...m }));
    results.push(m);
    await context.close();
  }
} finally {
  await browser.close();
}
const median = key => { const v = results.map(x => x[key]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
console.log(`dashboard ${region}: first paint ${median("first_paint_ms")} ms, all figures loaded ` +
            `${median("figures_loaded_ms")} ms, transferred ${median("transfer_kib")} KiB ` +
            `(${median("decoded_kib")} KiB decoded, ${median("requests")} requests); medians of ${rounds} cold loads`);
