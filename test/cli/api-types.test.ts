import { describe, expect, it } from 'vitest';
import { ReconcileReport, RepositoryConfigBody, VersionStatus } from '../../src/cli/api-types.ts';
import { reconcileReportOf } from '../support/reconcile-report.ts';
import { reconcileReport, versionStatus } from './support/fake-api-server.ts';

const INDEX = `sha256:${'e'.repeat(64)}`;

// The CLI reads answers with the server's response schemas (src/api/response-schemas.ts), leniently.
describe('the CLI reading of the API answers', () => {
  describe('when the API is newer than the CLI', () => {
    it('keeps keys it does not know, at every depth', () => {
      const status = versionStatus(
        '2.7',
        'published',
        { 'linux/amd64': 'a' },
        {
          published: {
            digest: INDEX,
            mediaType: 'application/vnd.oci.image.index.v1+json',
            tags: ['2.7'],
            at: '2026-11-27T10:00:05.000Z',
            partial: false,
            signedBy: 'x',
          },
          newTopLevel: 1,
        },
      );
      const read = VersionStatus.parse(status) as Record<string, unknown> & VersionStatus;
      expect(read.newTopLevel).toBe(1);
      expect(read.published).toMatchObject({ signedBy: 'x' });
    });

    it('reads a value outside a fixed set as text', () => {
      const report = ReconcileReport.parse(
        reconcileReport('team/hello', { drift: [{ version: '2.7', tag: '2.7', expected: INDEX, actual: null, action: 'quarantined' }] }),
      );
      expect(report.drift[0]?.action).toBe('quarantined');
    });
  });

  describe('when the API is older than the CLI', () => {
    it('reads absent lists as [], nullables as null, flags as false and counts as 0; optional fields stay absent', () => {
      const report = ReconcileReport.parse({ repository: 'team/hello' });
      expect(report).toEqual(reconcileReportOf('team/hello'));
      const { published } = VersionStatus.parse(
        versionStatus('1', 'published', {}, { published: { digest: INDEX, mediaType: 'm', tags: [], at: 'now' } }),
      );
      expect(published).toEqual({ digest: INDEX, mediaType: 'm', tags: [], at: 'now', partial: false });
    });

    it('still refuses an answer without a field it cannot do without, naming it', () => {
      const result = VersionStatus.safeParse({ ...versionStatus('1', 'waiting', {}), version: undefined });
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['version']);
    });
  });

  describe('maps', () => {
    const config = {
      requiredPlatforms: ['linux/amd64'],
      tagPattern: 'p',
      targetTags: ['{version}'],
      indexMediaType: 'auto',
      staleAfter: null,
      onStale: 'wait',
      onDrift: 'report',
    };

    it('keeps keys named like Object.prototype members, in order', () => {
      const read = RepositoryConfigBody.parse({
        ...config,
        platformOverrides: JSON.parse('{"constructor":"linux/arm64","toString":"linux/amd64"}'),
      });
      expect(Object.entries(read.platformOverrides)).toEqual([
        ['constructor', 'linux/arm64'],
        ['toString', 'linux/amd64'],
      ]);
    });

    it('refuses a __proto__ key and a value of the wrong type', () => {
      const result = RepositoryConfigBody.safeParse({ ...config, platformOverrides: JSON.parse('{"__proto__":"x","arm64":7}') });
      expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['platformOverrides.__proto__', 'platformOverrides.arm64']);
    });

    it('reads an absent map as {}', () => {
      expect(RepositoryConfigBody.parse(config).platformOverrides).toEqual({});
    });
  });
});
