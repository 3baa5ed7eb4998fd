import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { LocalStack } from '../../src/local/main.ts';
import { startStackOnFreePorts } from '../support/free-port-stack.ts';
import { pushImage } from '../support/images.ts';
import { startSigV4Gateway, type SigV4Gateway } from '../support/sigv4-gateway.ts';
import { CHROMIUM, hasChromium, launchChromium } from './browser.ts';

const SCREENSHOTS = resolve(import.meta.dirname, '../../docs/img');
const REPOSITORY = 'team/hello';

if (!hasChromium) {
  console.warn(`[dashboard browser test] SKIPPED: ${CHROMIUM} is not installed (apt-get install -y chromium; .ci/run and npm test install it as root)`);
}

async function api(stack: LocalStack, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Opens the page, answers the token prompt, and goes to the repository's matrix. */
async function openMatrix(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('textbox', { name: 'Token' }).fill(token);
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await page.getByRole('link', { name: REPOSITORY }).click();
  await page.getByRole('heading', { name: REPOSITORY }).waitFor();
}

const row = (page: Page, version: string) => page.locator(`tr[data-version="${version}"]`);

describe.skipIf(!hasChromium)('the dashboard in a real browser', () => {
  let stack: LocalStack;
  let stopStack: () => Promise<void>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    ({ stack, stop: stopStack } = await startStackOnFreePorts('dashboard-e2e'));
    expect((await api(stack, 'PUT', `/v1/repositories/${REPOSITORY}/config`, { requiredPlatforms: ['linux/amd64', 'linux/arm64'] })).status).toBe(200);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stopStack?.();
  });

  describe('served by the local stack', () => {
    let page: Page;
    beforeAll(async () => {
      page = await browser.context.newPage();
    });

    it('asks for the token once, then shows a version waiting for its second platform', async () => {
      await pushImage(stack.registryUrl, REPOSITORY, '2.7-amd64', { arch: 'amd64', format: 'oci' });
      await openMatrix(page, `${stack.apiUrl}/`, stack.token);
      await expect.poll(() => row(page, '2.7').getAttribute('data-state'), { timeout: 20_000 }).toBe('waiting');
      await expect.poll(() => row(page, '2.7').locator('.state').textContent()).toBe('waiting');
      expect(await row(page, '2.7').locator('td[data-platform="linux/arm64"]').textContent()).toBe('missing');
      expect(await row(page, '2.7').locator('td[data-platform="linux/amd64"] code').textContent()).toMatch(/^[0-9a-f]{12}$/);
      // The token is kept for the tab, never in the address.
      expect(page.url()).not.toContain(stack.token);
      expect(await page.evaluate("sessionStorage.getItem('manifest-assembler.token')")).toBe(stack.token);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-waiting.png') });
    });

    it('turns the version published when the second platform is pushed, without a reload', async () => {
      // Page code runs in the browser: given as text, since this project's types have no DOM.
      await page.evaluate('window.stillTheSamePage = true');
      await pushImage(stack.registryUrl, REPOSITORY, '2.7-arm64', { arch: 'arm64', format: 'oci' });
      await expect.poll(() => row(page, '2.7').getAttribute('data-state'), { timeout: 20_000 }).toBe('published');
      expect(await row(page, '2.7').locator('.state').textContent()).toBe('published');
      expect(await row(page, '2.7').locator('.chip').allTextContents()).toContain('2.7');
      expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-published.png') });
    });

    it('filters by state', async () => {
      await pushImage(stack.registryUrl, REPOSITORY, '2.8-amd64', { arch: 'amd64', format: 'oci' });
      await expect.poll(() => row(page, '2.8').getAttribute('data-state'), { timeout: 20_000 }).toBe('waiting');
      await page.getByRole('link', { name: /^waiting \(1\)$/ }).click();
      await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
      expect(await row(page, '2.8').count()).toBe(1);
      await page.getByRole('link', { name: /^all \(2\)$/ }).click();
      await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    });

    it('opens a version with the keyboard and shows its images, its published index and its history', async () => {
      await page.locator('a[data-key="version:2.7"]').focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: `${REPOSITORY}:2.7 published` }).waitFor();
      expect(await page.locator('.detail code.digest').count()).toBeGreaterThanOrEqual(3);
      await page.getByRole('heading', { name: 'History' }).waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-version.png'), fullPage: true });
      await page.keyboard.press('Escape');
      await page.getByRole('heading', { name: REPOSITORY }).waitFor();
    });

    it('reads on a narrow screen: the matrix scrolls inside its box, the page does not', async () => {
      await page.setViewportSize({ width: 390, height: 780 });
      await row(page, '2.7').waitFor();
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow as number).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-narrow.png') });
      await page.setViewportSize({ width: 1280, height: 720 });
    });

    it('sends the CSP with the page', async () => {
      const response = await fetch(`${stack.apiUrl}/`);
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    });
  });

  describe('through `manifest-assembler dashboard --api` against a SigV4-checking stand-in for API Gateway', () => {
    const credentials = { accessKeyId: 'AKIDDASHBOARDE2E', secretAccessKey: 'dashboard-e2e-secret' };
    let gateway: SigV4Gateway;
    let stopCli: () => void;
    let cliExit: Promise<number>;
    let printed = '';

    beforeAll(async () => {
      gateway = await startSigV4Gateway({ credentials, region: 'us-east-1', upstream: stack.apiUrl, upstreamToken: stack.token });
      // The standard credential chain reads these first, as it would on a developer's machine.
      vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
      vi.stubEnv('AWS_SESSION_TOKEN', '');
      const stopped = new Promise<void>((resolve) => {
        stopCli = resolve;
      });
      cliExit = main(['dashboard', '--api', gateway.url, '--sigv4', '--region', 'us-east-1', '--port', '0'], {
        stdout: (text) => {
          printed += text;
        },
        stderr: (text) => {
          printed += text;
        },
        untilStopped: () => stopped,
      });
      await vi.waitFor(() => expect(printed).toMatch(/Token for the page/), { timeout: 10_000 });
    });

    afterAll(async () => {
      stopCli?.();
      await cliExit;
      vi.unstubAllEnvs();
      await gateway?.stop();
    });

    it('shows the same matrix, every API call signed and verified, no AWS credential in the page', async () => {
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(printed)?.[1];
      const token = /Token for the page[^:]*: (\S+)/.exec(printed)?.[1];
      expect(url).toBeDefined();
      expect(token).toBeDefined();
      const page = await browser.context.newPage();
      await openMatrix(page, url ?? '', token ?? '');
      await expect.poll(() => row(page, '2.7').getAttribute('data-state'), { timeout: 20_000 }).toBe('published');
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-aws-proxy.png') });
      expect(gateway.verified.length).toBeGreaterThan(0);
      expect(gateway.refused).toEqual([]);
      const html = await page.content();
      expect(html).not.toContain(credentials.secretAccessKey);
      expect(html).not.toContain(credentials.accessKeyId);
      await page.close();
      stopCli();
      expect(await cliExit).toBe(0);
    });
  });
});
