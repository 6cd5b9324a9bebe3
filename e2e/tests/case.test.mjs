// A need becomes a case: the advisor accepts it and opens a case from it, ticks the
// checklist (partly by keyboard); a decision maker, without JavaScript, passes the gate and
// records the vägval innovationsupphandling; the public register shows the case and the
// citizen's follow-up page shows its status. Every page is checked with axe-core.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, newPage, signIn, tabTo, DEMO } from "./helpers.mjs";

test("an accepted need becomes a case that passes its first gate and records its path", async () => {
  const server = await startServer();
  const browser = await launch();
  const base = server.base;
  try {
    // The citizen submits a need.
    const citizen = await newPage(browser);
    await citizen.goto(`${base}/lamna`);
    await citizen.locator("#f-kind").check();
    await citizen.locator("#f-title").fill("Digitala vårdmöten för glesbygden");
    await citizen.locator("#f-description").fill("Vi som bor långt från vårdcentralen vill kunna träffa läkaren via video i stället för att åka två timmar.");
    await citizen.locator("#f-submitter_role").check();
    await citizen.locator("#f-consent").check();
    await Promise.all([citizen.waitForURL(/\/folj\//), citizen.locator('main button[type="submit"]').click()]);
    const submission = (await citizen.locator("#reference").textContent()).trim();
    const link = await citizen.locator("#follow-up-link").getAttribute("href");

    // The advisor accepts it and opens a case from it.
    const advisor = await newPage(browser);
    await signIn(advisor, base, DEMO.advisor, "/inkorg");
    await advisor.locator("#f-q").fill(submission);
    await advisor.locator("#f-q").press("Enter");
    await advisor.waitForFunction(() => /1 träff\b/.test(document.querySelector("#results-heading").textContent));
    await Promise.all([advisor.waitForURL(/\/inkorg\/[0-9a-f-]{36}$/), advisor.locator(`table.inbox a:text("${submission}")`).click()]);
    await advisor.locator("summary", { hasText: "Anta för ärende" }).click();
    await Promise.all([advisor.waitForURL(/klart=accept/), advisor.locator('form[action$="/anta"] button').click()]);
    await Promise.all([advisor.waitForURL(/\/arenden\/nytt\?fran=/), advisor.locator("#open-case").click()]);
    assert.equal(await advisor.locator("#f-submissions").inputValue(), submission);
    // The submission's words are there to start from.
    assert.notEqual(await advisor.locator("#f-title").inputValue(), "");
    assert.notEqual(await advisor.locator("#f-description").inputValue(), "");
    await checkA11y(advisor, "open-case form");
    // Without a title the form comes back with the message and what was typed.
    await advisor.locator("#f-title").fill("");
    await advisor.locator("#f-description").fill("Videobesök för invånare i glesbygd, med början i två vårdcentraler.");
    await Promise.all([advisor.waitForLoadState("load"), advisor.locator('main button[type="submit"]').click()]);
    await advisor.waitForSelector("#error-summary");
    assert.match(await advisor.locator("#e-title").textContent(), /\S/);
    assert.equal(await advisor.locator("#f-description").inputValue(), "Videobesök för invånare i glesbygd, med början i två vårdcentraler.");
    await checkA11y(advisor, "open-case form with errors");
    await advisor.locator("#f-title").fill("Digitala vårdmöten i glesbygd");
    await advisor.locator("label", { hasText: "Spelplanen" }).click();
    await Promise.all([advisor.waitForURL(/\/arenden\/[0-9a-f-]{36}\?klart=opened/), advisor.locator('main button[type="submit"]').click()]);
    const caseUrl = advisor.url().split("?")[0];
    const reference = (await advisor.locator("#reference").textContent()).trim();
    assert.match(reference, /^\d{4}\/\d{5}$/);
    assert.equal((await advisor.locator("#case-status").textContent()).trim(), "Behovs- och omvärldsanalys");
    await checkA11y(advisor, "new case page");
    // The advisor has no mandate at the gate: the page says whose it is.
    assert.match(await advisor.locator("#gate").locator("xpath=..").textContent(), /Beslutsfattare/);
    assert.equal(await advisor.locator('form[action$="/beslut"]').count(), 0);

    // Tick the checklist in place (htmx): the first item by keyboard, the rest by clicking.
    // The page does not move, the counts follow, and focus stays at the item.
    await advisor.goto(caseUrl);
    assert.match(await advisor.locator("#phase-progress").textContent(), /0 av 10 klara/);
    await tabTo(advisor, ".tick-form button");
    const y = await advisor.evaluate(() => window.scrollY);
    await advisor.keyboard.press("Enter");
    await advisor.waitForFunction(() => document.querySelectorAll(".item-done").length === 1);
    assert.equal(new URL(advisor.url()).search, "", "no page load");
    assert.equal(await advisor.evaluate(() => window.scrollY), y, "the reader keeps their place");
    assert.match(await advisor.locator("#phase-progress").textContent(), /1 av 10 klara/);
    assert.match(await advisor.locator("#stepper").textContent(), /1 av 10 klara/);
    assert.ok(await advisor.evaluate(() => document.activeElement.closest(".item-done") !== null), "focus stays at the item");
    await checkA11y(advisor, "case page after a tick");
    // The tick is taken back through its own form (issue 18: every undo used to be refused).
    await advisor.locator(".item-done form button").click();
    await advisor.waitForFunction(() => document.querySelectorAll(".item-done").length === 0);
    for (;;) {
      const open = advisor.locator(".item:not(.item-done):has(.tag:not(.tag-muted))");
      const n = await open.count();
      if (n === 0) break;
      const form = open.first().locator(".tick-form");
      // A note only when asked for.
      await form.locator("details.note summary").click();
      await form.locator('input[name="note"]').fill("Klart enligt arbetsgruppen.");
      await form.locator("button").click();
      await advisor.waitForFunction((k) => document.querySelectorAll(".item:not(.item-done) .tag:not(.tag-muted)").length < k, n);
    }
    assert.match(await advisor.locator("#open-count").textContent(), /Alla obligatoriska punkter är klara/);
    // Without JavaScript a tick posts and the page comes back at the item.
    const plain = await newPage(browser, { javaScriptEnabled: false });
    await signIn(plain, base, DEMO.advisor, new URL(caseUrl).pathname);
    await Promise.all([plain.waitForURL(/klart=ticked#item-/), plain.locator(".item:not(.item-done) .tick-form button").first().click()]);
    await checkA11y(plain, "case page after a tick (no JavaScript)");

    // The decision maker, without JavaScript, passes the gate and records the path.
    const dm = await newPage(browser, { javaScriptEnabled: false });
    await signIn(dm, base, DEMO.decisionMaker, new URL(caseUrl).pathname);
    await checkA11y(dm, "case page for the decision maker (no JavaScript)");
    await dm.locator("#decision-proceed").check();
    await Promise.all([dm.waitForLoadState("load"), dm.locator('form[action$="/beslut"] button[type="submit"]').click()]);
    await dm.waitForSelector("#error-summary");
    assert.ok(await dm.locator("#decision-proceed").isChecked(), "the choice is kept");
    await checkA11y(dm, "gate decision with errors (no JavaScript)");
    await dm.locator("#f-beslut-rationale").fill("Behovet är verifierat och omvärlden är genomsökt.");
    await Promise.all([dm.waitForURL(/klart=decided/), dm.locator('form[action$="/beslut"] button[type="submit"]').click()]);
    assert.equal((await dm.locator("#case-status").textContent()).trim(), "Planering och vägval");
    // The passed phase is there to review, collapsed.
    assert.match(await dm.locator("#phase-behovsanalys > summary").textContent(), /Behovs- och omvärldsanalys – 10 av 10 klara/);
    assert.equal(await dm.locator("#phase-behovsanalys").getAttribute("open"), null);
    await dm.locator("#path-innovation_procurement").check();
    await dm.locator("#f-vagval-rationale").fill("Ingen lösning finns på marknaden; innovationspartnerskap med inköpsfunktionen.");
    await Promise.all([dm.waitForURL(/klart=path#vagval$/), dm.locator('form[action$="/vagval"] button[type="submit"]').click()]);
    assert.equal((await dm.locator("#vagval").textContent()).trim(), "Innovationsupphandling");
    assert.match(await dm.locator(".timeline").textContent(), /Vägval/);
    await checkA11y(dm, "case page after the vägval (no JavaScript)");

    // The board, my cases and overdue steps.
    await advisor.goto(`${base}/arenden?vagval=innovation_procurement`);
    assert.match(await advisor.locator("#results").textContent(), new RegExp(reference));
    await checkA11y(advisor, "case board filtered by path");
    await advisor.goto(`${base}/arenden/mina`);
    assert.match(await advisor.locator("#results").textContent(), new RegExp(reference));
    await checkA11y(advisor, "my cases");
    await advisor.goto(`${base}/arenden/forsenade`);
    await checkA11y(advisor, "overdue steps");

    // The public register shows the case, never the citizen's words.
    const visitor = await newPage(browser);
    await visitor.goto(`${base}/diarium?q=${encodeURIComponent(reference)}`);
    const row = await visitor.locator("table.diarium tbody").textContent();
    assert.match(row, /Digitala vårdmöten i glesbygd/);
    assert.match(row, /Planering och vägval/);
    await checkA11y(visitor, "public register");
    await visitor.goto(`${base}/diarium?q=${encodeURIComponent(submission)}`);
    assert.doesNotMatch(await visitor.locator("main").textContent(), /två timmar/);

    // The citizen's follow-up page shows the case's status.
    await citizen.goto(link);
    const status = await citizen.locator("#case-status").textContent();
    assert.match(status, new RegExp(reference));
    assert.match(status, /Planering och vägval/);
    assert.match(status, /Innovationsupphandling/);
    await checkA11y(citizen, "follow-up page with the case");

    // The process owner's template page.
    const owner = await newPage(browser);
    await signIn(owner, base, DEMO.processOwner, "/processer");
    await checkA11y(owner, "process templates");
  } finally {
    await browser.close();
    await server.stop();
  }
});
