import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FunctionConfig, Invocation } from '../../bench/lambda-init/bench-functions.ts';
import type { LambdaPort } from '../../bench/lambda-init/lambda-init-bench.ts';
import { reportOfLogResult } from '../../bench/lambda-init/report-line.ts';

/**
 * Lambda as the init bench sees it, on this machine: each function's zip is unpacked (by Python's
 * zipfile, not the library that wrote it) and, for every invocation, copied to one fixed task folder
 * with an empty /tmp beside it, as Lambda gives every execution environment /var/task and a fresh /tmp;
 * then a fresh `node` started with Lambda's flags imports the handler's module (its time is the
 * `Init Duration`) and calls the handler with `{}`. Its REPORT line goes through the bench's parser.
 * Invocations run one at a time, since they share the task folder.
 */
export class LocalLambda implements LambdaPort {
  readonly created: string[] = [];
  readonly deleted: string[] = [];
  readonly taskRoot: string;
  readonly tmpDir: string;
  readonly #root: string;
  readonly #node: { path: string; flags: readonly string[] };
  readonly #configs = new Map<string, FunctionConfig>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(root: string, node: { path: string; flags: readonly string[] }) {
    this.#root = root;
    this.#node = node;
    this.taskRoot = join(root, 'task');
    this.tmpDir = join(root, 'tmp');
    writeFileSync(join(root, 'invoke.mjs'), INVOKE);
  }

  async create(name: string, zip: Uint8Array, config: FunctionConfig): Promise<void> {
    const dir = join(this.#root, 'functions', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}.zip`, zip);
    const unzip = spawnSync('python3', ['-m', 'zipfile', '-e', `${dir}.zip`, dir], { encoding: 'utf8' });
    if (unzip.status !== 0) throw new Error(`unzipping ${name}: ${unzip.stderr}`);
    this.#configs.set(name, config);
    this.created.push(name);
  }

  async configure(name: string, config: FunctionConfig): Promise<void> {
    if (!this.#configs.has(name)) throw new Error(`no function ${name}`);
    this.#configs.set(name, config);
  }

  invoke(name: string): Promise<Invocation> {
    const run = this.#queue.then(() => this.#invoke(name));
    this.#queue = run.catch(() => {});
    return run;
  }

  async delete(name: string): Promise<void> {
    rmSync(join(this.#root, 'functions', name), { recursive: true, force: true });
    this.deleted.push(name);
  }

  async #invoke(name: string): Promise<Invocation> {
    const config = this.#configs.get(name);
    if (config === undefined) throw new Error(`no function ${name}`);
    for (const dir of [this.taskRoot, this.tmpDir]) rmSync(dir, { recursive: true, force: true });
    mkdirSync(this.tmpDir);
    cpSync(join(this.#root, 'functions', name), this.taskRoot, { recursive: true });
    const [file, handler] = config.handler.split('.') as [string, string];
    const env = {
      ...config.environment,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      NODE_NO_WARNINGS: '1',
    };
    const args = [...this.#node.flags, join(this.#root, 'invoke.mjs'), join(this.taskRoot, `${file}.mjs`), handler];
    // A runtime that crashed (not a handler that threw: the invoke script catches that) rejects, naming its stderr.
    const { stdout, stderr } = await run(this.#node.path, args, { env, cwd: this.taskRoot, maxBuffer: 64 * 2 ** 20 });
    const last = stdout.lastIndexOf('\n{');
    if (last < 0) throw new Error(`${name} ended without a result (the runtime itself failed): ${stderr}`);
    const result = JSON.parse(stdout.slice(last + 1)) as { log: string; payload: string; error?: string };
    const report = reportOfLogResult(Buffer.from(result.log).toString('base64'));
    return result.error === undefined ? { report, payload: result.payload } : { report, payload: result.error, functionError: 'Unhandled' };
  }
}

const run = promisify(execFile);

// The local runtime: times the import, calls the handler, writes a REPORT line as Lambda's.
const INVOKE = `import { pathToFileURL } from 'node:url';
const [file, name] = process.argv.slice(2);
const started = performance.now();
const module = await import(pathToFileURL(file).href);
const init = performance.now() - started;
const invoked = performance.now();
let payload, error;
const context = { awsRequestId: 'local', getRemainingTimeInMillis: () => 30000 };
try { payload = JSON.stringify(await module[name]({}, context)); } catch (e) { error = JSON.stringify({ errorMessage: String(e) }); }
const duration = performance.now() - invoked;
const memory = Math.ceil(process.memoryUsage().rss / 2 ** 20);
const log = \`START RequestId: local\\nEND RequestId: local\\nREPORT RequestId: local\\tDuration: \${duration.toFixed(2)} ms\\tBilled Duration: \${Math.ceil(duration)} ms\\tMemory Size: 256 MB\\tMax Memory Used: \${memory} MB\\tInit Duration: \${init.toFixed(2)} ms\\t\\n\`;
process.stdout.write('\\n' + JSON.stringify({ log, payload, error }));
`;
