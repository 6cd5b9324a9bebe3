// A facilitator opens a workshop; two participants join by code (one without JavaScript),
// write concepts and vote on pairs; the facilitator's screen updates as the votes arrive
// and shows the top five. Every page is checked with axe-core.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, checkA11y, newPage, signIn, DEMO } from "./helpers.mjs";

async function joinAndWrite(page, base, code, concepts, label) {
  await page.goto(`${base}/workshop`);
  await checkA11y(page, `join page${label}`);
  await page.locator("#f-code").fill(code.toLowerCase());
  await Promise.all([page.waitForURL(new RegExp(`/workshop/${code}$`)), page.locator('main button[type="submit"]').click()]);
  await checkA11y(page, `workshop page in the concepts phase${label}`);
  // Over 500 characters: refused with the length, and the text is kept.
  await page.locator("#f-text").fill("x".repeat(501));
  await Promise.all([page.waitForLoadState("load"), page.locator('form[action$="/koncept"] button').click()]);
  await page.waitForSelector("#error-summary");
  assert.match(await page.locator("#e-text").textContent(), /501/);
  assert.equal((await page.locator("#f-text").inputValue()).length, 501);
  await checkA11y(page, `concept form with errors${label}`);
  for (const c of concepts) {
    await page.locator("#f-text").fill(c);
    await Promise.all([page.waitForEvent("load"), page.locator('form[action$="/koncept"] button').click()]);
    assert.match(page.url(), /klart=concept/);
  }
}

async function voteTimes(page, n, useKeys, label) {
  for (let i = 0; i < n; i++) {
    await page.waitForSelector("#remaining");
    const before = await page.locator("#remaining").textContent();
    if (useKeys) {
      await Promise.all([page.waitForEvent("load"), page.keyboard.press(i % 2 ? "ArrowLeft" : "ArrowRight")]);
    } else {
      await Promise.all([page.waitForEvent("load"), page.locator(i % 2 ? "#choose-left" : "#choose-right").click()]);
    }
    if ((await page.locator("#remaining").count()) === 0) {
      assert.equal(i, n - 1, "only the last vote may end the quota");
      break;
    }
    const after = await page.locator("#remaining").textContent();
    assert.notEqual(before, after, "the quota counts down");
    if (i === 0) await checkA11y(page, `vote page after a vote${label}`);
  }
}

test("a workshop: two participants write concepts and vote, the facilitator sees the top five live", async () => {
  const server = await startServer();
  const browser = await launch();
  const base = server.base;
  try {
    const facilitator = await newPage(browser);
    await signIn(facilitator, base, DEMO.advisor, "/workshop/ny");
    await checkA11y(facilitator, "new workshop form");
    await facilitator.locator("#f-title").fill("Framtidens vård i länet");
    await facilitator.locator("#f-question").fill("Vilka idéer ska regionen gå vidare med?");
    await facilitator.locator("#f-vote_quota").fill("8");
    await Promise.all([facilitator.waitForURL(/\/workshop\/[A-Z0-9]{6}\/leda$/), facilitator.locator('main button[type="submit"]').click()]);
    const code = (await facilitator.locator(".join-code").textContent()).trim().split(/\s+/).pop();
    await checkA11y(facilitator, "facilitator's screen");
    // A participant who joins early waits, and her page moves on by itself.
    const anna = await newPage(browser);
    await anna.goto(`${base}/workshop?code=${code}`);
    await Promise.all([anna.waitForURL(new RegExp(`/workshop/${code}$`)), anna.locator('main button[type="submit"]').click()]);
    await anna.waitForSelector("#waiting");
    await checkA11y(anna, "waiting for the facilitator");
    await anna.waitForTimeout(300); // the live stream is open

    // Research questions: answered alone first, then the group's answers are shown.
    await facilitator.locator("#f-question").fill("Vad är det största problemet i dag?");
    await Promise.all([facilitator.waitForURL(/klart=question/), facilitator.locator('form[action$="/fraga"] button').click()]);
    await Promise.all([facilitator.waitForURL(/klart=phase/), facilitator.locator('form:has(input[value="research"]) button').click()]);
    await anna.waitForSelector(".question textarea", { timeout: 10_000 });
    const bo = await newPage(browser, { javaScriptEnabled: false });
    for (const [page, answer, label] of [[anna, "Långa resor till vården", ""], [bo, "Svårt att nå vården på telefon", " (no JavaScript)"]]) {
      await page.goto(`${base}/workshop?code=${code}`);
      await Promise.all([page.waitForURL(new RegExp(`/workshop/${code}$`)), page.locator('main button[type="submit"]').click()]);
      assert.match(await page.locator("main").textContent(), /Gruppens svar visas när du har svarat/);
      await page.locator(".question textarea").fill(answer);
      await Promise.all([page.waitForEvent("load"), page.locator(".question button").click()]);
      await checkA11y(page, `research question answered${label}`);
    }
    assert.match(await bo.locator(".answers").textContent(), /Långa resor till vården/);
    await facilitator.goto(`${base}/workshop/${code}/leda`);
    await Promise.all([facilitator.waitForURL(/klart=phase/), facilitator.locator('form:has(input[value="concepts"]) button').click()]);

    // The public list of open questions (none yet).
    const visitor = await newPage(browser);
    await visitor.goto(`${base}/fragor`);
    await checkA11y(visitor, "open questions");
    await joinAndWrite(anna, base, code, ["Videobesök i glesbygd", "Egenmätning av blodtryck hemma", "Digital incheckning"], "");
    await joinAndWrite(bo, base, code, ["Sensorer som larmar vid fall", "Läkemedelsrobot i hemtjänsten", "Gemensam vårdplan i appen"], " (no JavaScript)");

    // Criteria: each participant scores a concept 1–5 on the three criteria.
    await Promise.all([facilitator.waitForURL(/klart=phase/), facilitator.locator('form:has(input[value="criteria"]) button').click()]);
    for (const [page, label] of [[anna, ""], [bo, " (no JavaScript)"]]) {
      await page.goto(`${base}/workshop/${code}`);
      const form = page.locator("form.criteria-form").first();
      const groups = await form.locator("fieldset.scale").count();
      assert.equal(groups, 3);
      for (let g = 0; g < groups; g++) await form.locator("fieldset.scale").nth(g).locator('label:text("4")').click();
      await Promise.all([page.waitForEvent("load"), form.locator("button").click()]);
      assert.match(page.url(), /klart=score/);
      await checkA11y(page, `criteria page${label}`);
    }
    await facilitator.goto(`${base}/workshop/${code}/leda`);
    assert.equal(await facilitator.locator("#criteria-table tbody tr").count(), 6);

    // Voting opens; the facilitator's screen listens for updates.
    await facilitator.goto(`${base}/workshop/${code}/leda`);
    await Promise.all([facilitator.waitForURL(/klart=phase/), facilitator.locator('form:has(input[value="voting"]) button').click()]);
    const counts = () => facilitator.locator("#counts").textContent();
    assert.match(await counts(), /^0 röster/);
    await anna.goto(`${base}/workshop/${code}`);
    assert.match(await anna.locator("#remaining").textContent(), /8 av 8 röster kvar/);
    await checkA11y(anna, "vote page");
    await voteTimes(anna, 4, true, "");
    await bo.goto(`${base}/workshop/${code}`);
    await checkA11y(bo, "vote page (no JavaScript)");
    await voteTimes(bo, 8, false, " (no JavaScript)");
    assert.match(await bo.locator("#no-pair").textContent(), /använt alla dina röster/);

    // The facilitator's screen caught up without a reload.
    await facilitator.waitForFunction(() => /^12 röster från 2 deltagare/.test(document.querySelector("#counts").textContent), null, { timeout: 10_000 });
    assert.equal(await facilitator.locator("#results tbody tr").count(), 6);
    assert.equal(await facilitator.locator("#results tbody tr.top").count(), 5);
    assert.equal(await facilitator.locator('.chart-row rect.bar').count(), 5, "the best five drawn as filled bars");
    await checkA11y(facilitator, "facilitator's screen with live results");

    // The projector view: the code large, the phase as a stepper, the chart with its table.
    const projector = await newPage(browser);
    await projector.context().addCookies(await facilitator.context().cookies());
    await projector.goto(`${base}/workshop/${code}/projektor`);
    assert.equal((await projector.locator(".join-code").textContent()).trim().split(/\s+/).pop(), code);
    assert.match(await projector.locator('.stepper [aria-current="step"]').textContent(), /Röstning/);
    assert.equal(await projector.locator(".chart-row svg[role='img'] title").count(), 6);
    await projector.setViewportSize({ width: 1920, height: 1080 });
    await checkA11y(projector, "projector view");
    await projector.context().close();

    // Results for everyone once the facilitator opens them.
    await Promise.all([facilitator.waitForURL(/klart=phase/), facilitator.locator('form:has(input[value="results"]) button').click()]);
    await anna.goto(`${base}/workshop/${code}`);
    assert.equal(await anna.locator(".results li").count(), 6);
    await checkA11y(anna, "results for a participant");

    // The top five go on to the inbox as ideas, linked back to the workshop.
    await Promise.all([facilitator.waitForURL(/klart=forward/), facilitator.locator('form[action$="/vidare"] button').click()]);
    assert.equal(await facilitator.locator("#outcomes li").count(), 5);
    await checkA11y(facilitator, "facilitator's screen after next steps");
  } finally {
    await browser.close();
    await server.stop();
  }
});
