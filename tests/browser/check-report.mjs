// Loads a report in headless Chromium (puppeteer-core drives the system
// browser) and prints, as JSON, what tests/browser.rs asserts: console
// errors, network requests, the sections present, horizontal overflow, the
// axe-core violations (WCAG 2.1 A and AA) in each viewport and colour
// scheme, the rendered height of every chart text shown at that width, the
// chart texts that overlap, those cut off at the chart's edge and those
// shortened with an ellipsis, and the size of a PDF print. Screenshots go
// to the output folder.
//
// usage: node check-report.mjs REPORT/index.html OUT_DIR
import { readFileSync, statSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(join(process.cwd(), "package.json"));
const puppeteer = require("puppeteer-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const [page_path, out_dir] = process.argv.slice(2);
if (!page_path || !out_dir) {
  console.error("usage: node check-report.mjs REPORT/index.html OUT_DIR");
  process.exit(2);
}
const url = pathToFileURL(resolve(page_path)).href;
const profile = mkdtempSync(join(tmpdir(), "org-insights-chromium-"));

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  userDataDir: profile,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
  ],
});

const views = [
  { name: "desktop-light", width: 1280, scheme: "light" },
  { name: "desktop-dark", width: 1280, scheme: "dark" },
  { name: "phone-light", width: 390, scheme: "light" },
  { name: "phone-dark", width: 390, scheme: "dark" },
];
const result = { views: [], pdf_bytes: 0 };
try {
  for (const view of views) {
    const page = await browser.newPage();
    const console_errors = [];
    const requests = [];
    page.on("console", (m) => { if (m.type() === "error") console_errors.push(m.text()); });
    page.on("pageerror", (e) => console_errors.push(String(e)));
    page.on("request", (r) => { if (r.url() !== url) requests.push(r.url()); });
    await page.setViewport({ width: view.width, height: 900 });
    await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: view.scheme }]);
    await page.goto(url, { waitUntil: "load" });
    const layout = await page.evaluate(() => ({
      sections: [...document.querySelectorAll("main > section")].map((s) => s.id),
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      background: getComputedStyle(document.body).backgroundColor,
      chart_text: (() => {
        // Every visible text of every chart: its height on screen, and each
        // pair in one chart whose boxes overlap by more than a pixel.
        const heights = [];
        const overlaps = [];
        const clipped = [];
        const ellipses = [];
        for (const svg of document.querySelectorAll(".chart svg")) {
          const frame = svg.getBoundingClientRect();
          // A variant hidden at this width (display: none) is not seen.
          if (frame.width === 0 || frame.height === 0) continue;
          const boxes = [...svg.querySelectorAll("text")]
            .filter((t) => t.textContent.trim() !== "")
            .map((t) => ({ text: t.textContent.trim(), r: t.getBoundingClientRect() }));
          for (const b of boxes) {
            heights.push({ text: b.text, height: b.r.height });
            if (b.text.includes("…")) ellipses.push(b.text);
            const out = b.r.left < frame.left - 1 || b.r.right > frame.right + 1
              || b.r.top < frame.top - 1 || b.r.bottom > frame.bottom + 1;
            if (out) clipped.push(b.text);
          }
          for (let i = 0; i < boxes.length; i++) {
            for (let j = i + 1; j < boxes.length; j++) {
              const a = boxes[i].r, b = boxes[j].r;
              const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
              const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
              if (w > 1 && h > 1) overlaps.push([boxes[i].text, boxes[j].text]);
            }
          }
        }
        const lowest = heights.reduce((low, h) => (h.height < low.height ? h : low), { text: "", height: Infinity });
        return {
          count: heights.length, lowest, overlaps: overlaps.slice(0, 20),
          clipped: clipped.slice(0, 20), ellipses: ellipses.slice(0, 20),
        };
      })(),
    }));
    await page.screenshot({ path: join(out_dir, `${view.name}.png`) });
    await page.addScriptTag({ content: axeSource });
    const axe = await page.evaluate(async () => {
      // Open every disclosure so that axe checks the tables inside.
      document.querySelectorAll("details").forEach((d) => { d.open = true; });
      const r = await window.axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      });
      return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
    });
    result.views.push({ ...view, ...layout, console_errors, requests, axe });
    if (view.name === "desktop-light") {
      await page.emulateMediaType("print");
      // An A4 page at 96 px per inch, less Chromium's default margins:
      // every chart shown in print must fit one page, its text readable.
      await page.setViewport({ width: 718, height: 1047 });
      result.print = await page.evaluate(() => {
        let tallest = 0, widest = 0, lowest = Infinity, charts = 0;
        for (const svg of document.querySelectorAll(".chart svg")) {
          const r = svg.getBoundingClientRect();
          if (r.width === 0 || r.height === 0) continue;
          charts += 1;
          tallest = Math.max(tallest, r.height);
          widest = Math.max(widest, r.width);
          for (const t of svg.querySelectorAll("text")) {
            if (t.textContent.trim() === "") continue;
            lowest = Math.min(lowest, t.getBoundingClientRect().height);
          }
        }
        return { charts, tallest, widest, lowest };
      });
      const pdf = join(out_dir, "report.pdf");
      await page.pdf({ path: pdf, format: "A4", printBackground: true });
      result.pdf_bytes = statSync(pdf).size;
      result.pdf_head = readFileSync(pdf).subarray(0, 5).toString("latin1");
    }
    await page.close();
  }
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
