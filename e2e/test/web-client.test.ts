import { mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { ensureChromium } from '@ticketing/testkit/chromium';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { signedUpClient } from './client';
import { startTestSystem, type TestSystem } from './system';

/**
 * The web client in a real Chromium (Debian's package, driven by playwright-core) against the running system
 * behind the gateway: the whole journey (sell, buy, pay, see it complete), the error paths, an accessibility
 * check (axe-core) of every page, and screenshots kept in test-artifacts/web-client/. Every request the browser
 * makes must go to our own origin.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'web-client');
const password = 'correct horse battery';

let system: TestSystem;
let browser: Browser;
const foreignRequests: string[] = [];
const accessibility: Array<{ page: string; violations: string[] }> = [];

beforeAll(async () => {
  const executablePath = await ensureChromium((line) => process.stderr.write(`[web-client] ${line}\n`));
  mkdirSync(ARTIFACTS, { recursive: true });
  system = await startTestSystem();
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await system?.shutdown();
});

async function newVisitor(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const origin = new URL(system.gatewayUrl).origin;
  page.on('request', (request) => {
    if (new URL(request.url()).origin !== origin) foreignRequests.push(request.url());
  });
  return { context, page };
}

/** Screenshot and axe check of the page as it is now: serious or critical violations are collected. */
async function inspect(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const { violations } = await new AxeBuilder({ page }).analyze();
  accessibility.push({
    page: name,
    violations: violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`),
  });
}

async function signUp(page: Page, email: string): Promise<void> {
  await page.goto(`${system.gatewayUrl}/`);
  await page.getByRole('navigation').getByRole('link', { name: 'Sign up' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByText(email).waitFor();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('navigation').getByRole('link', { name: 'Sign in' }).waitFor();
}

describe('web client in Chromium', () => {
  const stamp = Date.now();
  const seller = `seller-${stamp}@example.com`;
  const title = `Concert ${stamp}`;

  it('When a seller sells a ticket and a buyer buys and pays for it, then the buyer sees the order complete without reloading', async () => {
    const { context, page } = await newVisitor();
    await page.goto(`${system.gatewayUrl}/`);
    await page.getByRole('heading', { name: 'Tickets for sale' }).waitFor();
    await inspect(page, '01-tickets');

    await page.getByRole('navigation').getByRole('link', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'Sign up' }).waitFor();
    await inspect(page, '02-sign-up');
    await signUp(page, seller);
    await page.getByRole('navigation').getByRole('link', { name: 'Sell a ticket' }).click();
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Price').fill('40');
    await inspect(page, '03-sell');
    await page.getByRole('button', { name: 'Sell' }).click();
    await page.getByRole('heading', { name: title }).waitFor();
    await page.getByText('This is your ticket.').waitFor();
    await signOut(page);

    await signUp(page, `buyer-${stamp}@example.com`);
    await page.getByRole('link', { name: title }).click();
    await page.getByRole('heading', { name: title }).waitFor();
    await inspect(page, '04-ticket');
    // The ticket reaches orders through its event: a purchase right away may be told "Ticket not found".
    for (let attempt = 0; ; attempt++) {
      await page.getByRole('button', { name: 'Purchase' }).click();
      const outcome = await Promise.race([
        page.waitForURL(/\/orders\/[0-9a-f]{24}$/).then(() => 'order' as const),
        page
          .getByRole('alert')
          .waitFor()
          .then(() => 'error' as const),
      ]);
      if (outcome === 'order') break;
      if (attempt > 20) throw new Error(`purchase kept failing: ${await page.getByRole('alert').textContent()}`);
      await page.waitForTimeout(250);
    }
    await page.getByTestId('order-status').filter({ hasText: 'awaiting:payment' }).waitFor();
    await page.getByTestId('time-left').waitFor();
    await inspect(page, '05-order');
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.getByTestId('order-status').filter({ hasText: 'complete' }).waitFor();
    await inspect(page, '06-paid');

    await page.getByRole('navigation').getByRole('link', { name: 'My orders' }).click();
    await page.getByTestId('order-status').filter({ hasText: 'complete' }).waitFor();
    await inspect(page, '07-my-orders');
    await signOut(page);
    await context.close();
  }, 120_000);

  it('When the buyer types a bad email or a wrong password, or buys a ticket someone just reserved, then the server’s message is shown, next to its field when it names one', async () => {
    const { context, page } = await newVisitor();
    await page.goto(`${system.gatewayUrl}/auth/signup`);
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign up' }).click();
    // The message sits under the email field and is tied to it for screen readers.
    await page.locator('#email-error').filter({ hasText: 'Email must be valid' }).waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-describedby')).toBe('email-error');
    await inspect(page, '08-sign-up-error');

    await page.goto(`${system.gatewayUrl}/auth/signin`);
    await page.getByLabel('Email').fill(seller);
    await page.getByLabel('Password').fill('wrong horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Invalid credentials' }).waitFor();
    await inspect(page, '09-sign-in-error');

    // A ticket on sale: this visitor opens it, then someone else reserves it before the click.
    const sellerApi = await signedUpClient(system.gatewayUrl, 'seller2');
    const ticket = await sellerApi.post<{ id: string }>('/api/tickets', { title: `Late ${stamp}`, price: 15 });
    await signUp(page, `late-${stamp}@example.com`);
    await page.goto(`${system.gatewayUrl}/tickets/${ticket.body.id}`);
    await page.getByRole('button', { name: 'Purchase' }).waitFor();
    const rival = await signedUpClient(system.gatewayUrl, 'rival');
    for (let i = 0; i < 60; i++) {
      if ((await rival.post('/api/orders', { ticketId: ticket.body.id })).status === 201) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await page.getByRole('button', { name: 'Purchase' }).click();
    await page.getByRole('alert').filter({ hasText: 'Ticket is already reserved' }).waitFor();
    await inspect(page, '10-reserved-error');
    await context.close();
  }, 120_000);

  it('When the pages were checked, then none has a serious accessibility violation and the browser asked only our origin', () => {
    expect(accessibility.length).toBeGreaterThanOrEqual(10);
    expect(accessibility.filter((a) => a.violations.length > 0)).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
