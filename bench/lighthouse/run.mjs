// Lighthouse on Sluss's pages as a person on a phone gets them (Lighthouse's default mobile
// profile: a mid-range phone, simulated slow 4G and a 4× slower CPU), with Debian's Chromium.
//   node run.mjs BASE_URL VOTE_PATH COOKIE
// Prints one JSON line per page: its performance and accessibility scores (0–100), the
// metrics behind the performance score, and the accessibility audits that failed.
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import puppeteer from 'puppeteer-core';

const [base, votePath, cookie] = process.argv.slice(2);
if (!base || !votePath) {
  console.error('usage: node run.mjs BASE_URL VOTE_PATH [COOKIE]');
  process.exit(2);
}
const pages = [
  { name: 'home page /', path: '/' },
  { name: 'intake form /lamna', path: '/lamna' },
  { name: `vote page ${votePath}`, path: votePath, cookie },
];
const chrome = await chromeLauncher.launch({
  chromePath: '/usr/bin/chromium',
  chromeFlags: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
let failed = false;
// The participant's cookie is set in the browser, as joining would have set it (Lighthouse
// resets a page's storage between runs but keeps cookies).
const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
try {
  for (const page of pages) {
    const tab = await browser.newPage();
    if (page.cookie) {
      const [name, ...value] = page.cookie.split('=');
      await browser.setCookie({ name, value: value.join('='), domain: new URL(base).hostname, path: '/' });
    }
    const result = await lighthouse(
      `${base}${page.path}`,
      {
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['performance', 'accessibility'],
      },
      undefined,
      tab,
    );
    await tab.close();
    const lhr = result.lhr;
    if (lhr.runtimeError) {
      throw new Error(`${page.path}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    }
    const audit = (id) => lhr.audits[id]?.numericValue;
    const a11yFailures = lhr.categories.accessibility.auditRefs
      .map((r) => lhr.audits[r.id])
      .filter((a) => a.score !== null && a.score < 1)
      .map((a) => a.id);
    const line = {
      page: page.name,
      url: lhr.finalDisplayedUrl,
      performance: Math.round(lhr.categories.performance.score * 100),
      accessibility: Math.round(lhr.categories.accessibility.score * 100),
      fcp_ms: Math.round(audit('first-contentful-paint')),
      lcp_ms: Math.round(audit('largest-contentful-paint')),
      tbt_ms: Math.round(audit('total-blocking-time')),
      cls: audit('cumulative-layout-shift'),
      accessibility_failures: a11yFailures,
    };
    if (lhr.finalDisplayedUrl !== `${base}${page.path}`) {
      line.redirected = true;
      failed = true;
    }
    console.log(JSON.stringify(line));
  }
} finally {
  await browser.disconnect();
  await chrome.kill();
}
process.exit(failed ? 1 : 0);
