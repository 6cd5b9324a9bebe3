// An advisor signs in, filters the inbox, rejects a submission with a reason, and the
// citizen's follow-up page shows the reason. Once with JavaScript, once without.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, newPage, DEMO } from "./helpers.mjs";

async function submitNeed(page, base, title) {
  await page.goto(`${base}/lamna`);
  await page.locator("#f-kind").check();
  await page.locator("#f-title").fill(title);
  await page.locator("#f-description").fill("Besökare hittar inte till parkeringen och kommer för sent till sina bokade tider.");
  await page.locator("#f-submitter_role").check();
  await page.locator("#f-contact_email").fill("medborgare@example.se");
  await page.locator("#f-consent").check();
  await Promise.all([page.waitForURL(/\/folj\//), page.locator('main button[type="submit"]').click()]);
  await checkA11y(page, "receipt");
  return {
    reference: (await page.locator("#reference").textContent()).trim(),
    link: await page.locator("#follow-up-link").getAttribute("href"),
  };
}

async function rejectFlow({ javaScriptEnabled }) {
  const server = await startServer();
  const browser = await launch();
  const label = javaScriptEnabled ? "" : " (no JavaScript)";
  try {
    const citizen = await newPage(browser, { javaScriptEnabled });
    const title = `Skyltning till parkeringen ${javaScriptEnabled ? "A" : "B"}`;
    const { reference, link } = await submitNeed(citizen, server.base, title);

    const advisor = await newPage(browser, { javaScriptEnabled });
    await advisor.goto(`${server.base}/inkorg`);
    await advisor.waitForURL(/\/logga-in\?next=/);
    await checkA11y(advisor, `sign-in page${label}`);
    await advisor.locator("#f-email").fill(DEMO.advisor.email);
    await advisor.locator("#f-password").fill("wrong password");
    await Promise.all([advisor.waitForLoadState("load"), advisor.locator('main button[type="submit"]').click()]);
    await advisor.waitForSelector("#error-summary");
    await checkA11y(advisor, `failed sign-in${label}`);
    await advisor.locator("#f-password").fill(DEMO.advisor.password);
    await Promise.all([advisor.waitForURL(/\/inkorg$/), advisor.locator('main button[type="submit"]').click()]);
    assert.match(await advisor.locator("#results-heading").textContent(), /31 träffar/);
    await checkA11y(advisor, `inbox${label}`);

    // On a phone the results start on the first screen: the filters other than the search
    // fold under "Fler filter", which opens by keyboard (issue 19).
    const wide = advisor.viewportSize();
    await advisor.setViewportSize({ width: 360, height: 740 });
    assert.equal(await advisor.locator("#f-status").isVisible(), false);
    const heading = await advisor.locator("#results-heading").boundingBox();
    assert.ok(heading.y < 740, `the results begin ${heading.y} px down a 740 px phone screen`);
    await advisor.locator(".filter-more > summary").focus();
    await advisor.keyboard.press("Enter");
    assert.equal(await advisor.locator("#f-status").isVisible(), true);
    await advisor.setViewportSize(wide);

    // Filter: status "Ny" and the title's words.
    await advisor.locator("#f-status").selectOption("new");
    await advisor.locator("#f-q").fill(title);
    if (javaScriptEnabled) {
      // htmx swaps the results in place and keeps the address bar in step.
      await advisor.locator("#f-q").press("Enter");
      await advisor.waitForURL(/q=/);
      await advisor.waitForFunction(() => /1 träff\b/.test(document.querySelector("#results-heading").textContent));
    } else {
      await Promise.all([advisor.waitForURL(/q=/), advisor.locator(".filter-actions button").click()]);
    }
    assert.match(await advisor.locator("#results-heading").textContent(), /1 träff\b/);
    assert.equal(await advisor.locator("table.inbox tbody tr").count(), 1);
    await checkA11y(advisor, `filtered inbox${label}`);

    await Promise.all([advisor.waitForURL(/\/inkorg\/[0-9a-f-]{36}$/), advisor.locator(`table.inbox a:text("${reference}")`).click()]);
    assert.equal((await advisor.locator("h1").textContent()).trim(), title);
    await checkA11y(advisor, `submission detail${label}`);

    // The duplicate form offers the region's other submissions, and a search narrows them.
    await advisor.locator("summary", { hasText: "Markera som dubblett" }).click();
    assert.ok(await advisor.locator('input[name="duplicate_pick"]').count() > 0, "submissions to pick from");
    await advisor.locator("#f-dubblett").fill("parkering");
    await Promise.all([advisor.waitForURL(/dubblett=parkering/), advisor.locator("#f-dubblett").press("Enter")]);
    assert.equal(await advisor.locator("details#duplicate").getAttribute("open"), "");
    await checkA11y(advisor, `duplicate form with a search${label}`);

    // Reject without a text first: the form comes back open, with the choice kept.
    await advisor.locator("summary", { hasText: "Avsluta med motivering" }).click();
    await advisor.locator("#f-reject-reason").selectOption("not_innovation");
    await Promise.all([advisor.waitForLoadState("load"), advisor.locator('form[action$="/avvisa"] button').click()]);
    await advisor.waitForSelector("#error-summary");
    assert.equal(await advisor.locator("#f-reject-reason").inputValue(), "not_innovation");
    await checkA11y(advisor, `reject form with errors${label}`);
    await advisor.locator("#f-reject-reason_text").fill("Det här är förbättringsarbete i befintlig verksamhet. Vi har skickat det till linjen.");
    await Promise.all([advisor.waitForURL(/klart=reject/), advisor.locator('form[action$="/avvisa"] button').click()]);
    assert.equal((await advisor.locator("#status").textContent()).trim(), "Avslutad");
    assert.match(await advisor.locator("#done").textContent(), /motiveringen är skickad/);
    await checkA11y(advisor, `submission after rejection${label}`);

    // The citizen sees the decision and the reason.
    await citizen.goto(link);
    assert.equal((await citizen.locator("#status").textContent()).trim(), "Avslutad");
    assert.equal((await citizen.locator("#reject-reason").textContent()).trim(), "Inte innovation: förbättringsarbete, skickat vidare till linjen");
    assert.match(await citizen.locator(".messages").textContent(), /Vi har skickat det till linjen/);
    assert.doesNotMatch(await citizen.content(), /medborgare@example\.se/);
    await checkA11y(citizen, `follow-up page after rejection${label}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

test("an advisor filters the inbox and rejects with a reason; the citizen sees it", async () => {
  await rejectFlow({ javaScriptEnabled: true });
});

test("the same flow with JavaScript disabled", async () => {
  await rejectFlow({ javaScriptEnabled: false });
});
