// Attachments (issue 20 item 6): a citizen attaches a PDF on /lamna without JavaScript, a
// program renamed .pdf is refused at the field with the typed text kept, and the advisor
// sees the file on the submission and downloads it; every page checked with axe.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { startServer, launch, checkA11y, newPage, signIn, DEMO } from "./helpers.mjs";

/** A small valid PDF with one empty page, made here as the server's demo makes its own. */
function tinyPdf() {
  const objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"];
  let out = "%PDF-1.4\n";
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

async function fillIntake(page, title) {
  await page.locator("#f-kind").check();
  await page.locator("#f-title").fill(title);
  await page.locator("#f-description").fill("Skyltarna till parkeringen syns inte i mörker. Se bifogad skiss över var de borde sitta.");
  await page.locator("#f-submitter_role-patient").check();
  await page.locator("#f-consent").check();
}

test("a citizen attaches a PDF and the advisor downloads it", async () => {
  const server = await startServer();
  const browser = await launch();
  try {
    const citizen = await newPage(browser, { javaScriptEnabled: false });
    await citizen.goto(`${server.base}/lamna`);
    await checkA11y(citizen, "intake form with its file field (no JavaScript)");
    const title = "Skyltning med skiss";

    // A program renamed .pdf: refused by its content, said at the field, the text kept.
    await fillIntake(citizen, title);
    const exe = Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00", "latin1"), Buffer.alloc(504)]);
    await citizen.locator("#f-files").setInputFiles({ name: "faktura.pdf", mimeType: "application/pdf", buffer: exe });
    await Promise.all([citizen.waitForLoadState("load"), citizen.locator('main button[type="submit"]').click()]);
    await citizen.waitForSelector("#e-files");
    assert.match(await citizen.locator("#e-files").textContent(), /Filtypen är inte tillåten/);
    assert.equal(await citizen.locator("#f-title").inputValue(), title, "the typed title is kept");
    assert.match(await citizen.locator("#h-files-again").textContent(), /Välj dem igen/);
    await checkA11y(citizen, "intake form with a refused file (no JavaScript)");

    // The PDF, chosen again.
    const pdf = tinyPdf();
    await citizen.locator("#f-files").setInputFiles({ name: "Skiss över parkeringen.pdf", mimeType: "application/pdf", buffer: pdf });
    await Promise.all([citizen.waitForURL(/\/folj\/[0-9a-f]+\?ny=1$/), citizen.locator('main button[type="submit"]').click()]);
    const reference = (await citizen.locator("#reference").textContent()).trim();
    // The follow-up page is the submitter's, but not a page for files.
    assert.equal(await citizen.locator('a[href^="/bilagor/"]').count(), 0);
    await checkA11y(citizen, "receipt (no JavaScript)");

    // The advisor finds it and downloads the file.
    const advisor = await newPage(browser, { acceptDownloads: true });
    await signIn(advisor, server.base, DEMO.advisor, "/inkorg");
    await advisor.goto(`${server.base}/inkorg?q=${encodeURIComponent(title)}`);
    await Promise.all([advisor.waitForURL(/\/inkorg\/[0-9a-f-]{36}$/), advisor.locator(`table.inbox a:text("${reference}")`).click()]);
    const link = advisor.locator('#h-attachments ~ ul a[href^="/bilagor/"]');
    assert.equal((await link.textContent()).trim(), "Skiss över parkeringen.pdf");
    await checkA11y(advisor, "submission with an attachment");
    const [download] = await Promise.all([advisor.waitForEvent("download"), link.click()]);
    assert.equal(download.suggestedFilename(), "Skiss över parkeringen.pdf");
    const saved = readFileSync(await download.path());
    const fileHref = await link.getAttribute("href");
    assert.equal(createHash("sha256").update(saved).digest("hex"), createHash("sha256").update(pdf).digest("hex"));

    // A case worker adds a file on a case page, and a facilitator one on a workshop.
    await advisor.goto(`${server.base}/arenden`);
    const caseHref = await advisor.locator('main a[href^="/arenden/"]').evaluateAll((as) => as.map((a) => a.getAttribute("href")).find((h) => /^\/arenden\/[0-9a-f-]{36}$/.test(h)));
    await advisor.goto(`${server.base}${caseHref}`);
    await advisor.locator('summary:has-text("Lägg till bilaga")').click();
    await advisor.locator("#f-bilagor-files").setInputFiles({ name: "Utredning.pdf", mimeType: "application/pdf", buffer: pdf });
    await Promise.all([advisor.waitForURL(/klart=attached/), advisor.locator('form[action$="/bilagor"] button').click()]);
    assert.equal((await advisor.locator('#attachments ~ ul a[href^="/bilagor/"]').first().textContent()).trim(), "Utredning.pdf");
    await checkA11y(advisor, "case page with an attachment");
    await advisor.goto(`${server.base}/workshop/ny`);
    const leadHref = await advisor.locator('main a[href$="/leda"]').first().getAttribute("href");
    await advisor.goto(`${server.base}${leadHref}`);
    await advisor.locator("#f-files").setInputFiles({ name: "Bakgrund.pdf", mimeType: "application/pdf", buffer: pdf });
    await advisor.locator("#f-public").check();
    await Promise.all([advisor.waitForURL(/klart=attached/), advisor.locator('form[action$="/bilagor"] button').click()]);
    assert.match(await advisor.locator("#h-attachments ~ ul").textContent(), /Bakgrund\.pdf/);
    await checkA11y(advisor, "workshop lead page with an attachment");

    // Signed out, the same address asks to sign in.
    const anon = await newPage(browser);
    const res = await anon.request.get(`${server.base}${fileHref}`, { maxRedirects: 0 });
    assert.equal(res.status(), 303);
    assert.match(res.headers()["location"], /^\/logga-in/);
  } finally {
    await browser.close();
    await server.stop();
  }
});
