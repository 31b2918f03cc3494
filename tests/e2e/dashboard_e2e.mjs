// The dashboard in Debian's Chromium, driven by puppeteer-core, at a desktop and a phone width. Called by
// dashboard_test with one argument, a JSON file holding the page's address, the tokens, the figures the gRPC API
// answered for each region the test visits, and where to save screenshots. Every failed check is printed as
// "FAIL <width> <what>: <detail>"; the exit code is the number of failures (0: all passed).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { default: puppeteer } = await import(
  path.join(here, "../../web/node_modules/puppeteer-core/lib/esm/puppeteer/puppeteer-core.js"));
const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));

let failures = 0;
let width = 0;
function check(ok, what, detail = "") {
  if (!ok) {
    failures++;
    console.log(`FAIL ${width} ${what}${detail ? ": " + detail : ""}`);
  }
  return ok;
}
const equal = (got, want, what) => check(got === want, what, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);

// The test's own formatting, written apart from the page's: grouping by threes, a percentage truncated to one decimal.
const grouped = n => { const s = String(Math.abs(n)); return (n < 0 ? "-" : "") + s.replace(/\B(?=(\d{3})+(?!\d))/g, ","); };
const percent = bp => `${Math.floor(bp / 100)}.${Math.floor((bp % 100) / 10)}%`;
const basisPoints = (n, d) => (d > 0 ? Math.floor((n * 10000) / d) : 0);
const yuanText = fen => `${fen < 0 ? "-" : ""}${grouped(Math.floor(Math.abs(fen) / 100))}.${String(Math.abs(fen) % 100).padStart(2, "0")} 元`;

function expectedFigure(kind, value, base) {
  if (kind === "count") return grouped(value);
  if (kind === "yuan") return yuanText(value);
  if (kind === "bp") return percent(value);
  return `${grouped(value)} / ${grouped(base)}  ${percent(basisPoints(value, base))}`;
}

const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking"],
});

async function waitState(page, state, what, timeout = 20000) {
  try {
    await page.waitForFunction(s => document.body.dataset.state === s, { timeout }, state);
    return true;
  } catch (e) {
    const got = await page.evaluate(() => `${document.body.dataset.state} / ${document.getElementById("error")?.textContent}`);
    return check(false, what, `page state ${got}, waited for ${state}`);
  }
}

async function waitLoaded(page, region, what) {
  try {
    await page.waitForFunction(r => document.body.dataset.loaded === r && document.body.dataset.state === "live",
                               { timeout: 20000 }, region);
    return true;
  } catch (e) {
    const got = await page.evaluate(() => `${document.body.dataset.loaded} ${document.body.dataset.state} ${document.getElementById("error")?.textContent}`);
    return check(false, what, `page shows ${got}, waited for ${region}`);
  }
}

async function signIn(page, token) {
  await page.waitForSelector("#signin:not([hidden])", { timeout: 10000 });
  await page.type("#token", token);
  await page.click("#signin button[type=submit]");
}

// Every figure the page shows for `region` against the API's answer for it.
async function checkFigures(page, region) {
  const api = cfg.api[region];
  const shown = await page.evaluate(() => ({
    gauges: [...document.querySelectorAll("#gauges .gauge")].map(g => [g.dataset.item, g.querySelector(".fig").textContent]),
    children: [...document.querySelectorAll("#children-table tbody tr")].map(tr =>
      [tr.dataset.region, [...tr.querySelectorAll("td[data-item]")].map(td => [td.dataset.item, td.textContent])]),
    figures: [...document.querySelectorAll(".panel dd[data-indicator]")].map(dd =>
      [dd.dataset.indicator, dd.dataset.kind, dd.dataset.over || "", dd.textContent]),
    title: document.getElementById("title").textContent,
  }));
  equal(shown.title, api.name, `${region} title`);
  equal(shown.gauges.length, api.items.length, `${region} gauges`);
  for (const [name, text] of shown.gauges) {
    const item = api.items.find(i => i.name === name);
    if (!check(item !== undefined, `${region} gauge ${name}`, "not in the API's coverage")) continue;
    equal(text, `${grouped(item.numerator)} / ${grouped(item.denominator)}  ${percent(item.basis_points)}`, `${region} gauge ${name}`);
  }
  equal(shown.children.map(c => c[0]).sort().join(), api.children.map(c => c.region).sort().join(), `${region} children`);
  for (const [code, cells] of shown.children) {
    const child = api.children.find(c => c.region === code);
    if (!child) continue;
    for (const [name, text] of cells) {
      const item = child.items.find(i => i.name === name);
      equal(text, `${percent(item.basis_points)}（${grouped(item.numerator)}/${grouped(item.denominator)}）`, `${region} child ${code} ${name}`);
    }
  }
  check(shown.figures.length >= 50, `${region} panel figures`, `only ${shown.figures.length}`);
  for (const [name, kind, over, text] of shown.figures) {
    if (!check(name in api.indicators, `${region} figure ${name}`, "not an indicator of the API")) continue;
    equal(text, expectedFigure(kind, api.indicators[name], api.indicators[over]), `${region} figure ${name}`);
  }
}

// Each chart drew something (its canvas has coloured pixels) and names what it draws (a legend).
async function checkCharts(page, ids, what) {
  const result = await page.evaluate(list => list.map(id => {
    const el = document.getElementById(id);
    const chart = el && echarts.getInstanceByDom(el);
    if (!chart) return [id, false, false];
    const canvas = el.querySelector("canvas");
    let inked = false;
    if (canvas && canvas.width > 0 && canvas.height > 0) {
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < pixels.length; i += 4 * 7) { if (pixels[i] !== 0) { inked = true; break; } }
    }
    const option = chart.getOption();
    // A gauge names what it shows in its title; every other chart in a legend (or the map's colour scale).
    const legend = (option.legend || []).some(l => (l.data || []).length > 0) || (option.visualMap || []).length > 0 ||
                   (id.startsWith("gauge-") && (option.title || []).some(t => t.text));
    return [id, inked, legend];
  }), ids);
  for (const [id, inked, legend] of result) {
    check(inked, `${what} chart ${id} drawn`, "its canvas is blank");
    check(legend, `${what} chart ${id} legend`, "no legend");
  }
}

async function run(viewport) {
  width = viewport.width;
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(viewport);
  const shot = name => page.screenshot({ path: path.join(cfg.screenshots, `dashboard-${name}-${width}.png`), fullPage: true });

  // Sign-in: no token yet; a wrong and an expired token come back to the form with the reason.
  await page.goto(`${cfg.url}/#region=${cfg.city}`, { waitUntil: "load" });
  await waitState(page, "signin", "sign-in form first");
  await shot("signin");
  await signIn(page, "no-such-token");
  await waitState(page, "signin", "wrong token back to sign-in");
  check((await page.$eval("#signin-reason", e => e.textContent)).includes("令牌无效"), "wrong token reason");
  await signIn(page, cfg.tokens.expired);
  await waitState(page, "signin", "expired token back to sign-in");
  check((await page.$eval("#signin-reason", e => e.textContent)).includes("expired"), "expired token reason",
        await page.$eval("#signin-reason", e => e.textContent));

  // The city page: every figure as the API has it; the token in session storage only.
  await signIn(page, cfg.tokens.admin);
  if (await waitLoaded(page, cfg.city, "city page loads")) {
    await checkFigures(page, cfg.city);
    const where = await page.evaluate(() => [location.href, sessionStorage.getItem("jinguo.token"), localStorage.length]);
    check(!where[0].includes(cfg.tokens.admin), "token not in the address", where[0]);
    equal(where[1], cfg.tokens.admin, "token in session storage");
    equal(where[2], 0, "nothing in local storage");
    await page.waitForFunction(() => document.getElementById("map-box").hidden === false &&
                                     echarts.getInstanceByDom(document.getElementById("map")), { timeout: 10000 })
      .catch(() => check(false, "city map", "no map at city level"));
    await new Promise(r => setTimeout(r, 800));  // animations settle before the pixels are read
    await checkCharts(page, ["bars", "map", "trends", "health-chart", "loans-chart", "training-chart", "aid-chart",
                             "publicity-chart", "pairing-chart", `gauge-${cfg.api[cfg.city].items[0].name}`], "city");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, "no sideways scrolling", `${overflow}px wider than the window`);
    await shot("city");

    // Drill-down by a click on the county's bar.
    const point = await page.evaluate(code => {
      const el = document.getElementById("bars");
      const chart = echarts.getInstanceByDom(el);
      const option = chart.getOption();
      const index = option.series[0].data.findIndex(d => d.region === code);
      const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [option.series[0].data[index].value / 2, index]);
      const box = el.getBoundingClientRect();
      el.scrollIntoView({ block: "center" });
      const after = el.getBoundingClientRect();
      return [after.left + x, after.top + y];
    }, cfg.county);
    await page.mouse.click(point[0], point[1]);
    if (await waitLoaded(page, cfg.county, "drill-down from the bar chart")) {
      await checkFigures(page, cfg.county);
      const crumbs = await page.$$eval("#crumbs a", as => as.map(a => a.dataset.region));
      check(crumbs.includes(cfg.city), "breadcrumb leads back up", crumbs.join());
      await shot("county");

      // The work list: the page's rows are the API's rows.
      await page.select("#list", "women_not_insured");
      await page.click("#list-show");
      await page.waitForFunction(() => document.getElementById("list-table").dataset.list === "women_not_insured", { timeout: 10000 });
      const rows = await page.$$eval("#list-table tbody tr", trs => trs.map(tr => [...tr.cells].map(td => td.textContent)));
      const api = await page.evaluate(async (region, token) => {
        const r = await fetch(`/api/worklist?region=${region}&list=women_not_insured`, { headers: { Authorization: "Bearer " + token } });
        return r.json();
      }, cfg.county, cfg.tokens.admin);
      equal(JSON.stringify(rows), JSON.stringify(api.rows), "work list rows");
      equal(api.total, cfg.api[cfg.county].indicators.eligible_women - cfg.api[cfg.county].indicators.two_cancer_insured,
            "work list holds every eligible woman not insured");
      check(rows.length > 0 && rows[0][1].includes("*"), "ID numbers masked in the work list", JSON.stringify(rows[0]));
      await shot("worklist");

      // Keyboard: a township row reached and opened with Enter.
      const township = cfg.api[cfg.county].children[0].region;
      await page.focus(`#children-table tr[data-region="${township}"]`);
      await page.keyboard.press("Enter");
      await waitLoaded(page, township, "drill-down with the keyboard");
      await page.click(`#crumbs a[data-region="${cfg.county}"]`);
      await waitLoaded(page, cfg.county, "breadcrumb up");
    }

    // Live: the test registers a woman in the county; her figures move without a reload.
    const before = await page.$eval('#gauges [data-item="paired"] .fig', e => e.textContent);
    fs.writeFileSync(cfg.live_marker + "." + width, "ready");
    try {
      await page.waitForFunction(b => document.querySelector('#gauges [data-item="paired"] .fig').textContent !== b,
                                 { timeout: 30000 }, before);
    } catch (e) {
      check(false, "live update", `still ${before} 30 s after an event`);
    }
    check(/更新于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d（北京时间）/.test(await page.$eval("#status", e => e.textContent)), "last update time shown");
    // The API's figures with her, from here on.
    const after = `${cfg.live_marker}.${width}.api`;
    for (let i = 0; i < 300 && !fs.existsSync(after); i++) await new Promise(r => setTimeout(r, 100));
    if (check(fs.existsSync(after), "the API's figures after the live update")) {
      cfg.api = JSON.parse(fs.readFileSync(after, "utf8"));
      await checkFigures(page, cfg.county);
    }

    // The service down: requests fail, the page says so and retries, then recovers.
    await page.setRequestInterception(true);
    const fail = req => (req.url().includes("/api/") ? req.abort("connectionrefused") : req.continue());
    page.on("request", fail);
    await page.evaluate(() => { location.hash = "region=" + document.body.dataset.loaded.slice(0, 4); });
    if (await waitState(page, "retrying", "service down shown")) {
      check((await page.$eval("#error", e => e.textContent)).includes("无法连接看板服务"), "service down message");
      await shot("down");
    }
    page.off("request", fail);
    await page.setRequestInterception(false);
    await waitLoaded(page, cfg.city, "recovers once the service is back");

    // Sign-out forgets the token.
    await page.click("#signout");
    await waitState(page, "signin", "sign-out");
    equal(await page.evaluate(() => sessionStorage.getItem("jinguo.token")), null, "token forgotten at sign-out");
  }

  // A viewer of the city: masked names; a region outside her scope and one that does not exist get a message.
  await signIn(page, cfg.tokens.viewer);
  if (await waitLoaded(page, cfg.city, "viewer's city page")) {
    check(await page.$eval("#masked-note", e => !e.hidden), "viewer told identifiers are masked");
    await page.evaluate(c => { location.hash = "region=" + c; }, cfg.county);
    await waitLoaded(page, cfg.county, "viewer's county page");
    await page.select("#list", "women_not_insured");
    await page.click("#list-show");
    await page.waitForFunction(() => document.getElementById("list-table").dataset.list === "women_not_insured", { timeout: 10000 });
    const names = await page.$$eval("#list-table tbody tr", trs => trs.map(tr => tr.cells[0].textContent));
    check(names.length > 0 && names.every(n => /^.\*+$/u.test(n)), "viewer sees masked names", names.join());
    check(!(await page.$$eval("#list option", os => os.map(o => o.value))).includes("follow_ups_overdue"),
          "overdue follow-ups not offered to a viewer");
    await page.evaluate(c => { location.hash = "region=" + c; }, cfg.outside);
    await waitState(page, "refused", "region outside the scope refused");
    check((await page.$eval("#error", e => e.textContent)).includes("不在您的权限范围"), "outside-scope message",
          await page.$eval("#error", e => e.textContent));
    await shot("outside");
    await page.evaluate(() => { location.hash = "region=139999"; });
    await waitState(page, "refused", "unknown region refused");
    check((await page.$eval("#error", e => e.textContent)).includes("不存在"), "unknown region message",
          await page.$eval("#error", e => e.textContent));
  }
  await context.close();
}

try {
  await run({ width: 1280, height: 900 });
  await run({ width: 375, height: 812, isMobile: true, hasTouch: false, deviceScaleFactor: 2 });
} finally {
  await browser.close();
}
console.log(failures === 0 ? "dashboard_e2e: all checks passed" : `dashboard_e2e: ${failures} checks failed`);
process.exit(Math.min(failures, 100));
