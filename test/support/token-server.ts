import { execFile } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type SeenRequest, startHttpStub } from './http-stub.ts';

/**
 * A token service for distribution's `auth: token`, on 127.0.0.1: answers
 * `GET /token?service=…&scope=repository:<name>:<actions>` with an RS256 JWT whose `x5c` header holds
 * a self-signed certificate (made with `openssl req -x509`), the same certificate the registry is
 * given as `rootcertbundle`. Known users get what they ask for; anonymous callers get pull only;
 * wrong passwords get 401.
 *
 * @see https://distribution.github.io/distribution/spec/auth/jwt/
 */
export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certificatePem: string;
  /** Requests to the token endpoint, to count token fetches. */
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

const run = promisify(execFile);

export async function startTokenServer(options: { users: Record<string, string>; expiresInSeconds?: number }): Promise<TokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'token-server-'));
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=manifest-assembler test token issuer',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    const keyPem = await readFile(join(dir, 'key.pem'), 'utf8');
    const certificatePem = await readFile(join(dir, 'cert.pem'), 'utf8');
    const certificateDer = certificatePem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const service = 'manifest-assembler-test-registry';
    const issuer = 'manifest-assembler-test-issuer';
    const expiresIn = options.expiresInSeconds ?? 300;

    const stub = await startHttpStub((request, response) => {
      const url = new URL(request.url ?? '/', 'http://token');
      const user = authenticate(request.headers.authorization, options.users);
      if (user === false) {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      const access = url.searchParams.getAll('scope').flatMap((scope) => {
        const [type, name, actions] = [
          scope.slice(0, scope.indexOf(':')),
          scope.slice(scope.indexOf(':') + 1, scope.lastIndexOf(':')),
          scope.slice(scope.lastIndexOf(':') + 1),
        ];
        const granted = actions.split(',').filter((action) => user !== undefined || action === 'pull');
        return type === 'repository' ? [{ type, name, actions: granted }] : [];
      });
      const now = Math.floor(Date.now() / 1000);
      const token = signJwt(
        { typ: 'JWT', alg: 'RS256', x5c: [certificateDer] },
        { iss: issuer, sub: user ?? '', aud: service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access },
        keyPem,
      );
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token, expires_in: expiresIn, issued_at: new Date().toISOString() }));
    });
    return {
      realm: `${stub.url}/token`,
      service,
      issuer,
      certificatePem,
      requests: stub.requests,
      async close() {
        await stub.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The user named by valid Basic credentials, undefined without any, false for wrong ones. */
function authenticate(header: string | undefined, users: Record<string, string>): string | undefined | false {
  if (header === undefined) return undefined;
  const [scheme, encoded = ''] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic') return false;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const name = decoded.slice(0, decoded.indexOf(':'));
  return users[name] !== undefined && users[name] === decoded.slice(decoded.indexOf(':') + 1) ? name : false;
}

function signJwt(header: object, claims: object, keyPem: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(keyPem).toString('base64url');
  return `${input}.${signature}`;
}
