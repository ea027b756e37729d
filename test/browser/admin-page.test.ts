import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, MASTER_KEY, post, SEED_ENV, SEED_YAML, startHarness } from "../harness.js";
import { buildUi, chromiumPath, launch, SHOTS_DIR } from "./browser.js";

/*
 * The admin page end to end: real gateway, fake eu/us upstreams, the page built by vite, driven in
 * Debian's headless Chromium. UPDATE_SCREENSHOTS=1 writes docs/screenshots/*.png (shown in README).
 */
const missing = chromiumPath() === undefined;
if (missing && process.env.CI) throw new Error("CI must have Chromium (.ci/run installs it)");

describe.skipIf(missing)("admin page (/ui) in Chromium", () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const shot = async (name: string) => {
    if (process.env.UPDATE_SCREENSHOTS)
      await page.screenshot({ path: `${SHOTS_DIR}${name}.png`, fullPage: true });
  };
  const chatAs = (user: string) =>
    post(
      `${h.url}/chat/completions`,
      { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }], user },
      h.auth,
    );

  beforeAll(async () => {
    dir = await buildUi();
    h = await startHarness({ yaml: SEED_YAML, env: SEED_ENV, metrics: true, uiDir: dir });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a wrong key, then signs in with the master key (keyboard only)", async () => {
    await page.goto(`${h.url}/ui/`);
    await page.getByLabel("Master key").fill("sk-wrong");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/key/i);
    await shot("login");
    await page.getByLabel("Master key").fill(MASTER_KEY);
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Views" }).waitFor();
    // the key lives in memory only
    expect(
      await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })),
    ).not.toContain(MASTER_KEY);
    expect((await page.context().cookies()).length).toBe(0);
  });

  it("creates an EU customer in the page; its requests land in the EU and the traffic view shows them", async () => {
    await page.getByRole("link", { name: "Customers" }).click();
    await page.getByLabel("New customer id").fill("ui-eu-customer");
    await page.getByLabel("Region of the new customer").selectOption("eu");
    await page.getByRole("button", { name: "Create customer" }).click();
    await page.locator('tr[data-customer="ui-eu-customer"]').waitFor();
    expect(await page.getByLabel("Region of ui-eu-customer").inputValue()).toBe("eu");
    await shot("customers");

    h.upstreams.eu.reset();
    h.upstreams.us.reset();
    for (let i = 0; i < 7; i++) {
      const r = await chatAs("ui-eu-customer");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-litellm-model-region")).toBe("eu");
    }
    expect(h.upstreams.eu.hits).toBe(7);
    expect(h.upstreams.us.hits).toBe(0);

    await page.getByRole("link", { name: "Traffic" }).click();
    const row = page.locator('tr[data-row="gpt-3.5-turbo/eu"] td').nth(2);
    await expect
      .poll(async () => Number(await row.textContent()), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(7);
    expect(await page.locator('tr[data-row="gpt-3.5-turbo/us"]').count()).toBe(0);
    // some unrestricted traffic and a refusal, for the picture
    const refused = await post(
      `${h.url}/chat/completions`,
      { model: "gpt-4o-us-only", messages: [{ role: "user", content: "hi" }], user: "ui-eu-customer" },
      h.auth,
    );
    expect(refused.status).toBe(403);
    for (let i = 0; i < 6; i++)
      await post(
        `${h.url}/chat/completions`,
        { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }] },
        h.auth,
      );
    await page.getByText("no_deployment_in_region").waitFor({ timeout: 10_000 });
    await shot("traffic");
  });

  it("changes the customer's region and blocks it from the page, obeyed on the next request", async () => {
    await page.getByRole("link", { name: "Customers" }).click();
    await page.getByLabel("Region of ui-eu-customer").selectOption("us");
    await page.getByRole("status").filter({ hasText: "region us" }).waitFor();
    const r = await chatAs("ui-eu-customer");
    expect(r.headers.get("x-litellm-model-region")).toBe("us");
    await page.locator('tr[data-customer="ui-eu-customer"]').getByRole("button", { name: "Block" }).click();
    await page.locator('tr[data-customer="ui-eu-customer"]').getByText("blocked").waitFor();
    expect((await chatAs("ui-eu-customer")).status).toBe(403);
    await page.locator('tr[data-customer="ui-eu-customer"]').getByRole("button", { name: "Unblock" }).click();
    await page.locator('tr[data-customer="ui-eu-customer"]').getByText("active").waitFor();
    expect((await chatAs("ui-eu-customer")).status).toBe(200);
    await page.getByLabel("Search").fill("nobody-by-this-name");
    expect(await page.locator("tr[data-customer]").count()).toBe(0);
    await page.getByLabel("Search").fill("");
  });

  it("shows deployments grouped by geography with their evidence", async () => {
    await page.getByRole("link", { name: "Deployments" }).click();
    const eu = page.locator('article[data-geography="eu"]');
    await eu.waitFor();
    expect(await eu.locator("li[data-deployment]").count()).toBe(2); // chat + embeddings
    expect(await eu.textContent()).toContain("Evidence:");
    expect(await page.locator('article[data-geography="us"] li[data-deployment]').count()).toBe(3);
    await shot("deployments");
  });

  it("explains where a request would go, with the policy and why the others are not eligible", async () => {
    await page.getByRole("link", { name: "Where would this go?" }).click();
    await page.getByLabel("Model").selectOption("gpt-3.5-turbo");
    await page.getByLabel("Customer id (optional)").fill("explain-eu");
    await post(`${h.url}/end_user/new`, { user_id: "explain-eu", allowed_model_region: "eu" }, h.auth);
    await page.getByRole("button", { name: "Explain" }).click();
    const verdict = page.locator('[data-verdict="served"]');
    await verdict.waitFor();
    expect(await verdict.textContent()).toMatch(/in eu\./);
    const rows = page.locator("tr[data-deployment]");
    expect(await rows.count()).toBe(2);
    expect(await page.locator("tr[data-deployment]", { hasText: "us" }).textContent()).toMatch(/no/);
    await shot("explain");
  });

  it("generates a key pinned to the EU in the page; requests with it never leave the EU", async () => {
    await page.getByRole("link", { name: "Keys and teams" }).click();
    await page.getByLabel("Key alias").fill("ui-eu-key");
    await page.getByLabel("Region").selectOption("eu");
    await page.getByRole("button", { name: "Generate key" }).click();
    const key = (await page.locator("[data-new-key]").textContent()) ?? "";
    expect(key).toMatch(/^sk-/);
    await page.locator('tr[data-key-alias="ui-eu-key"]').waitFor();
    h.upstreams.eu.reset();
    h.upstreams.us.reset();
    for (let i = 0; i < 6; i++) {
      const r = await post(
        `${h.url}/chat/completions`,
        { model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }] },
        { authorization: `Bearer ${key}` },
      );
      expect(r.status).toBe(200);
    }
    expect(h.upstreams.eu.hits).toBe(6);
    expect(h.upstreams.us.hits).toBe(0);
    await shot("keys");
  });

  it("shows the residency report from the spend log: per customer by geography, chain verified, no violations", async () => {
    await page.getByRole("link", { name: "Residency report" }).click();
    const row = page.locator('tr[data-end-user="ui-eu-customer"]');
    await expect
      .poll(
        async () => {
          await page.getByRole("button", { name: "Refresh" }).click();
          return (await row.count()) > 0 ? await row.textContent() : "";
        },
        { timeout: 15_000 },
      )
      .toMatch(/eu: \d+/);
    expect(await page.locator("[data-verify]").getAttribute("data-verify")).toBe("ok");
    expect(await page.locator("[data-violations]").getAttribute("data-violations")).toBe("0");
    await shot("residency");
  });
});
