import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { NoAuth } from '../../src/cli/request-auth.ts';
import { type DashboardProxy, startDashboardProxy } from '../../src/dashboard/dashboard-proxy.ts';
import type { LocalStack } from '../../src/local/main.ts';
import { listenOnLoopback } from '../../src/local/ports.ts';
import { startStackOnFreePorts } from '../support/free-port-stack.ts';
import { pushImage } from '../support/images.ts';
import { requestLocalApi } from '../support/local-stack.ts';
import { type SigV4Gateway, startSigV4Gateway } from '../support/sigv4-gateway.ts';
import { CHROMIUM, hasChromium, launchChromium } from './browser.ts';

// The README's screenshots: written into docs/img with SCREENSHOTS=1, else into .cache, so that an
// ordinary test run does not leave changed images in the work tree.
const SCREENSHOTS = resolve(import.meta.dirname, process.env.SCREENSHOTS === '1' ? '../../docs/img' : '../../.cache/dashboard-screenshots');
const REPOSITORY = 'team/hello';

if (!hasChromium) {
  console.warn(
    `[dashboard browser test] SKIPPED: ${CHROMIUM} is not installed (apt-get install -y chromium; .ci/run and npm test install it as root)`,
  );
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
    expect(
      (await requestLocalApi(stack, 'PUT', `/v1/repositories/${REPOSITORY}/config`, { requiredPlatforms: ['linux/amd64', 'linux/arm64'] }))
        .status,
    ).toBe(200);
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
      // A wrong token first: the API refuses it, the page says so and asks again.
      await page.goto(`${stack.apiUrl}/`);
      await page.getByRole('textbox', { name: 'Token' }).fill('not-the-token');
      await page.getByRole('button', { name: 'Open the dashboard' }).click();
      await page.getByRole('alert').filter({ hasText: 'The API refused that token' }).waitFor();
      expect(await page.evaluate("sessionStorage.getItem('manifest-assembler.token')")).toBeNull();
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
      // Newest first: the publish, then the two pushes, each with its platform and event.
      await expect
        .poll(() => page.locator('ol.history li').evaluateAll((items) => items.map((i) => i.getAttribute('data-kind'))))
        .toEqual(['published', 'push-recorded', 'push-recorded']);
      expect(await page.locator('ol.history li[data-kind="push-recorded"]').allTextContents()).toEqual([
        expect.stringContaining('platform linux/arm64'),
        expect.stringContaining('platform linux/amd64'),
      ]);
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

  describe('with hostile text in every field the API returns', () => {
    const PAYLOAD = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    let api: Server;
    let proxy: DashboardProxy;

    beforeAll(async () => {
      // An API whose repository names, tags, reasons, refused pushes and history carry markup.
      const version = {
        repository: 'evil',
        version: `1${PAYLOAD}`,
        state: 'conflict',
        requiredPlatforms: ['linux/amd64'],
        missingPlatforms: [],
        images: [
          { platform: 'linux/amd64', digest: `sha256:${'a'.repeat(64)}`, tag: `1-amd64${PAYLOAD}`, pushedAt: '2026-11-27T10:00:00.000Z' },
        ],
        published: null,
        error: `two images claim linux/amd64 ${PAYLOAD}`,
        updatedAt: '2026-11-27T10:00:00.000Z',
        tags: [`latest${PAYLOAD}`],
        notes: [PAYLOAD],
        rejected: [{ tag: PAYLOAD, digest: `sha256:${'b'.repeat(64)}`, reason: PAYLOAD, at: '2026-11-27T10:00:01.000Z' }],
      };
      const bodies: Record<string, unknown> = {
        '/v1/repositories': { repositories: [{ repository: 'evil', config: { requiredPlatforms: ['linux/amd64'] } }] },
        '/v1/repositories/evil/versions': { versions: [version], cursor: null },
        [`/v1/repositories/evil/versions/${encodeURIComponent(version.version)}`]: version,
        [`/v1/repositories/evil/versions/${encodeURIComponent(version.version)}/history`]: {
          sequence: 1,
          entries: [{ id: 'x', kind: 'conflict', at: '2026-11-27T10:00:01.000Z', sequence: 1, reason: PAYLOAD }],
        },
      };
      api = createServer((request, response) => {
        const body = bodies[(request.url ?? '').split('?')[0] ?? ''];
        response
          .writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' })
          .end(JSON.stringify(body ?? { detail: 'no' }));
      });
      const port = await listenOnLoopback(api);
      proxy = await startDashboardProxy({ upstream: new URL(`http://127.0.0.1:${port}`), auth: new NoAuth() });
    });

    afterAll(async () => {
      await proxy?.stop();
      await new Promise((resolve) => api?.close(resolve));
    });

    it('shows the markup as text and runs none of it', async () => {
      const page = await browser.context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.goto(proxy.url);
      await page.getByRole('textbox', { name: 'Token' }).fill(proxy.sessionToken);
      await page.getByRole('button', { name: 'Open the dashboard' }).click();
      await page.getByRole('link', { name: 'evil' }).click();
      await page.locator('tr[data-state="conflict"]').waitFor();
      expect(await page.locator('td.reason').first().textContent()).toContain(PAYLOAD);
      await page.locator('tr[data-state="conflict"] th a').click();
      await page.getByRole('heading', { name: 'History' }).waitFor();
      await page.locator('ol.history li').waitFor();
      expect(await page.locator('ol.history li').textContent()).toContain(PAYLOAD);
      expect(await page.locator('main img, main script').count()).toBe(0);
      expect(await page.evaluate('window.pwned')).toBeUndefined();
      expect(dialogs).toEqual([]);
      await page.close();
    });
  });
});
