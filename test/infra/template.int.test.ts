import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION_TABLE_DEFINITION } from '../../src/adapters/dynamodb/dynamodb-table.ts';
import { METRICS_NAMESPACE } from '../../src/adapters/observability/cloudwatch-emf-metrics.ts';
import { Counters, Timings } from '../../src/core/metrics.ts';
import { checkTemplate } from './cfn-check.ts';
import { evaluateConditions, parameterValues, resolveValue } from './cfn-evaluate.ts';
import { loadAwsResourceSpec, type ResourceSpec } from './cfn-spec.ts';
import { type PackagedProject, type PackagedStage, packageProject } from './package-service.ts';
import { sdkActionsUsed } from './sdk-actions.ts';
import { listZipEntries } from './zip-entries.ts';

// Builds the bundles and runs `osls package` twice in a temporary copy of the project: the default
// stage (dev, no parameters) and prod with every deploy parameter set. Then checks what would be
// deployed, offline, without AWS credentials.

const prodParams = {
  repositoryPrefix: 'apps/',
  repositoryArns: 'arn:aws:ecr:eu-west-1:123456789012:repository/apps/*,arn:aws:ecr:eu-west-1:123456789012:repository/base',
  alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall',
  onImagePushConcurrency: '5',
  eventBusName: 'releases',
  signingProfileArns:
    'arn:aws:signer:eu-west-1:123456789012:/signing-profiles/release,arn:aws:signer:eu-west-1:123456789012:/signing-profiles/nightly',
  metricAlarms: 'true',
  eventAgeAlarmSeconds: '600',
};

let project: PackagedProject;
let dev: PackagedStage;
let prod: PackagedStage;
let spec: ResourceSpec;

beforeAll(async () => {
  project = await packageProject([
    { name: 'dev', args: [] },
    { name: 'prod', args: ['--stage', 'prod', ...Object.entries(prodParams).map(([k, v]) => `--param=${k}=${v}`)] },
  ]);
  dev = project.stages.dev!;
  prod = project.stages.prod!;
  spec = loadAwsResourceSpec();
}, 180_000);

afterAll(async () => {
  await project?.remove();
});

type Resource = { Type: string; Properties: Record<string, any>; [key: string]: any };

const resourcesOf = (stage: PackagedStage, type: string): Array<[string, Resource]> =>
  Object.entries(stage.template.Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
const onlyResourceOf = (stage: PackagedStage, type: string): [string, Resource] => {
  const found = resourcesOf(stage, type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0]!;
};
/** The ECR push rule (the other rule is the reconciler's schedule). */
const imagePushRuleOf = (stage: PackagedStage): Resource => {
  const found = resourcesOf(stage, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern !== undefined);
  expect(found, 'exactly one rule with an event pattern').toHaveLength(1);
  return found[0]![1];
};
const functionNames = (stage: PackagedStage): string[] => Object.keys(stage.state.service.functions);
/** The AWS::Lambda::Function of a serverless function. */
const lambdaOf = (stage: PackagedStage, name: string): Resource => {
  const deployedName = stage.state.service.functions[name].name;
  const found = resourcesOf(stage, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.FunctionName === deployedName);
  expect(found, `the Lambda function of ${name}`).toHaveLength(1);
  return found[0]![1];
};
const getAttTarget = (value: any, attribute: string): string => {
  expect(value?.['Fn::GetAtt']?.[1], JSON.stringify(value)).toBe(attribute);
  return value['Fn::GetAtt'][0];
};

interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown[];
  Principal?: unknown;
  Condition?: unknown;
}
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** Every statement of every IAM role policy and resource policy in the template. */
const policyStatements = (stage: PackagedStage): Array<{ where: string; statement: Statement }> => {
  const out: Array<{ where: string; statement: Statement }> = [];
  for (const [id, r] of Object.entries(stage.template.Resources as Record<string, Resource>)) {
    const documents = [...asList<any>(r.Properties?.Policies).map((p) => p.PolicyDocument), r.Properties?.PolicyDocument].filter(Boolean);
    for (const document of documents) {
      for (const s of asList<any>(document.Statement)) {
        out.push({ where: id, statement: { ...s, Action: asList(s.Action), Resource: asList(s.Resource) } });
      }
    }
  }
  return out;
};
const roleStatements = (stage: PackagedStage, roleId: string): Statement[] =>
  policyStatements(stage)
    .filter((s) => s.where === roleId)
    .map((s) => s.statement);

describe('scripts/build.mjs', () => {
  it('prints the size and gzip size of every bundle', () => {
    for (const name of functionNames(dev)) {
      expect(project.buildOutput).toMatch(new RegExp(`dist/${name}/index\\.mjs\\s+\\d+ B\\s+gzip -9\\s+\\d+ B`));
    }
  });

  describe.each(['on-image-push', 'api', 'reconcile'])('the %s bundle', (name) => {
    const metafile = () => JSON.parse(readFileSync(join(project.root, 'dist/meta', `${name}.json`), 'utf8'));
    const inputs = (): string[] => Object.keys(metafile().inputs);

    it('is index.mjs and its chunks, alone in its dist folder, and its metafile lies outside that folder', () => {
      expect(readdirSync(join(project.root, 'dist', name)).sort()).toEqual(['chunks', 'index.mjs']);
      const outputs = Object.keys(metafile().outputs);
      expect(outputs).toContain(`dist/${name}/index.mjs`);
      expect(outputs.filter((p) => !p.startsWith(`dist/${name}/chunks/`) && p !== `dist/${name}/index.mjs`)).toEqual([]);
    });

    it('loads re2js and the OCI-HTTP adapter only on demand, never at a cold start', () => {
      // A custom tagPattern needs re2js; the default pattern and every ECR call do not.
      const outputs = metafile().outputs as Record<
        string,
        { imports: Array<{ path: string; kind: string }>; inputs: Record<string, unknown> }
      >;
      const atStart = new Set<string>();
      for (const stack = [`dist/${name}/index.mjs`]; stack.length > 0; ) {
        const path = stack.pop() as string;
        if (atStart.has(path)) continue;
        atStart.add(path);
        for (const i of outputs[path]?.imports ?? []) if (i.kind === 'import-statement' && i.path in outputs) stack.push(i.path);
      }
      const loaded = [...atStart].flatMap((path) => Object.keys(outputs[path]?.inputs ?? {}));
      // The chunks a cold start loads are folded into one (scripts/fold-start-chunks.mjs).
      expect([...atStart].sort()).toEqual([`dist/${name}/chunks/start.mjs`, `dist/${name}/index.mjs`]);
      expect(loaded.filter((p) => p.includes('node_modules/re2js/'))).toEqual([]);
      expect(loaded.filter((p) => p.startsWith('src/adapters/oci-http'))).toEqual([]);
      expect(inputs().some((p) => p.includes('node_modules/re2js/'))).toBe(true);
      if (name !== 'api') expect(loaded.filter((p) => p.includes('node_modules/zod/'))).toEqual([]);
    });

    it('loads on Node and exports a handler function', async () => {
      const url = pathToFileURL(join(project.root, 'dist', name, 'index.mjs')).href;
      const script = `const m = await import(${JSON.stringify(url)}); if (typeof m.handler !== 'function') { console.error('handler is ' + typeof m.handler); process.exit(3); }`;
      await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          ...process.env,
          NODE_NO_WARNINGS: '1',
          TABLE_NAME: 'manifest-assembler-test',
          AWS_REGION: 'eu-west-1',
          REGISTRY_KIND: 'ecr',
        },
      });
    });

    it('contains no other function, no local-stack, CLI or test code', () => {
      const own = inputs().filter((p) => !p.includes('node_modules'));
      expect(own.filter((p) => p.startsWith('functions/'))).toEqual([`functions/${name}.ts`]);
      const otherHandlers = ['on-image-push', 'api'].filter((n) => n !== name).map((n) => `src/handlers/${n}.ts`);
      expect(own.filter((p) => otherHandlers.includes(p))).toEqual([]);
      expect(own.filter((p) => /^(src\/(local|cli)|test|bench|scripts)\//.test(p))).toEqual([]);
    });

    it('contains no development-only package', () => {
      const packageJson = JSON.parse(readFileSync(join(project.root, 'package.json'), 'utf8'));
      // dynalite and tsx are runtime dependencies of the local stack only; credential-providers is the CLI's.
      const forbidden = [...Object.keys(packageJson.devDependencies), 'dynalite', 'tsx', '@aws-sdk/credential-providers'];
      const packages = new Set(inputs().flatMap((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1] ?? []));
      expect([...packages].filter((p) => forbidden.includes(p))).toEqual([]);
    });

    it('gets from its role exactly the ECR, DynamoDB and EventBridge actions its code calls', () => {
      const used = sdkActionsUsed(project.root, inputs());
      expect([...used].some((a) => a.startsWith('dynamodb:'))).toBe(true);
      expect(used).toContain('events:PutEvents');
      const role = getAttTarget(lambdaOf(dev, name).Properties.Role, 'Arn');
      const granted = roleStatements(dev, role)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => s.Action)
        .filter((a) => a.startsWith('ecr:') || a.startsWith('dynamodb:') || a.startsWith('events:'));
      expect(new Set(granted)).toEqual(used);
    });
  });
});

describe('the packaged template', () => {
  describe.each([['dev'], ['prod']])('of stage %s', (stageName) => {
    const stage = () => (stageName === 'dev' ? dev : prod);

    it('is valid against the CloudFormation resource specification', () => {
      expect(checkTemplate(stage().template as any, spec)).toEqual([]);
    });

    it('grants no wildcard action and no wildcard resource for ECR, DynamoDB, SQS or EventBridge', () => {
      const statements = policyStatements(stage());
      expect(statements.length).toBeGreaterThan(0);
      for (const { where, statement } of statements) {
        // osls's deployment bucket policy denies s3:* without TLS: a wildcard Deny narrows access.
        if (statement.Effect !== 'Allow') continue;
        for (const action of statement.Action) expect(action, `${where}: ${action}`).not.toContain('*');
        if (statement.Action.some((a) => /^(ecr|dynamodb|sqs|events):/.test(a))) {
          expect(statement.Resource, `${where}: ${statement.Action.join(',')}`).not.toContain('*');
        }
      }
    });
  });

  describe.each(['on-image-push', 'api', 'reconcile'])('the %s function', (name) => {
    it('runs nodejs22.x on arm64 with at most 256 MB, its bundle as handler', () => {
      const lambda = lambdaOf(dev, name).Properties;
      expect(lambda.Runtime).toBe('nodejs22.x');
      expect(lambda.Architectures).toEqual(['arm64']);
      expect(lambda.MemorySize).toBeLessThanOrEqual(256);
      expect(lambda.Handler).toBe(`dist/${name}/index.handler`);
    });

    it('has the environment the composition root reads', () => {
      expect(lambdaOf(dev, name).Properties.Environment.Variables).toEqual({
        TABLE_NAME: { Ref: onlyResourceOf(dev, 'AWS::DynamoDB::Table')[0] },
        REGISTRY_KIND: 'ecr',
        POWERTOOLS_SERVICE_NAME: 'manifest-assembler',
        LOG_LEVEL: 'INFO',
        EVENT_BUS_NAME: { Ref: 'EventBusName' },
        REGISTRY_HOST: { 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}' },
      });
    });

    it('is packaged as a zip holding only its own dist folder', () => {
      // serverless-state.json names the artifact in the default .serverless/ even with --package.
      const artifact = basename(dev.state.service.functions[name].package.artifact as string);
      const entries = listZipEntries(readFileSync(join(dev.dir, artifact)));
      expect(entries).toContain(`dist/${name}/index.mjs`);
      expect(entries.filter((e) => !e.startsWith(`dist/${name}/chunks/`) && e !== `dist/${name}/index.mjs`)).toEqual([]);
      expect(entries.length).toBe(readdirSync(join(project.root, 'dist', name, 'chunks')).length + 1);
    });

    it('has a role of its own', () => {
      const roles = functionNames(dev).map((n) => getAttTarget(lambdaOf(dev, n).Properties.Role, 'Arn'));
      expect(new Set(roles).size).toBe(roles.length);
      expect(dev.template.Resources[getAttTarget(lambdaOf(dev, name).Properties.Role, 'Arn')].Type).toBe('AWS::IAM::Role');
    });

    it('logs into a log group with a retention that its role may write to, and no other', () => {
      const deployedName = lambdaOf(dev, name).Properties.FunctionName;
      const groups = resourcesOf(dev, 'AWS::Logs::LogGroup').filter(([, r]) => r.Properties.LogGroupName === `/aws/lambda/${deployedName}`);
      expect(groups).toHaveLength(1);
      const [groupId, group] = groups[0]!;
      expect(group.Properties.RetentionInDays).toBe(30);
      expect(prod.template.Resources[groupId].Properties.RetentionInDays).toBe(90);
      const logs = roleStatements(dev, getAttTarget(lambdaOf(dev, name).Properties.Role, 'Arn')).filter((s) =>
        s.Action.some((a) => a.startsWith('logs:')),
      );
      expect(logs.flatMap((s) => s.Resource)).toEqual([
        { 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:\${${groupId}}:*` },
      ]);
    });
  });

  describe('the HTTP API', () => {
    it('routes the API of docs/api.md to the api function, every route behind the AWS_IAM authorizer', () => {
      const routes = resourcesOf(dev, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
      expect(routes.map((r) => r.RouteKey).sort()).toEqual([
        'DELETE /v1/repositories/{proxy+}',
        'GET /v1/health',
        'GET /v1/openapi.json',
        'GET /v1/repositories',
        'GET /v1/repositories/{proxy+}',
        'POST /v1/reconcile',
        'POST /v1/repositories/{proxy+}',
        'PUT /v1/repositories/{proxy+}',
      ]);
      for (const route of routes) expect(route.AuthorizationType, route.RouteKey).toBe('AWS_IAM');
      const [, integration] = onlyResourceOf(dev, 'AWS::ApiGatewayV2::Integration');
      expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
      expect(getAttTarget(integration.Properties.IntegrationUri, 'Arn')).toBe(
        Object.entries(dev.template.Resources).find(([, r]) => r === lambdaOf(dev, 'api'))![0],
      );
    });
  });

  describe('the ECR push rule', () => {
    const ruleOf = (stage: PackagedStage) => imagePushRuleOf(stage);
    const resolved = (stage: PackagedStage, value: any) => {
      const parameters = parameterValues(stage.template);
      return resolveValue(value, parameters, evaluateConditions(stage.template, parameters));
    };

    it('matches successful pushes (and replications into this region) to every repository when no prefix is given', () => {
      expect(resolved(dev, ruleOf(dev).Properties.EventPattern)).toEqual({
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action', 'ECR Replication Action'],
        detail: { 'action-type': ['PUSH', 'REPLICATE'], result: ['SUCCESS'] },
      });
    });

    it('matches successful pushes to repositories under repositoryPrefix when it is given', () => {
      expect(resolved(prod, ruleOf(prod).Properties.EventPattern)).toEqual({
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action', 'ECR Replication Action'],
        detail: { 'action-type': ['PUSH', 'REPLICATE'], result: ['SUCCESS'], 'repository-name': [{ prefix: 'apps/' }] },
      });
    });

    it('targets on-image-push with a retry policy and a dead-letter queue only that rule may write to', () => {
      const rule = ruleOf(dev).Properties;
      expect(rule.Targets).toHaveLength(1);
      const [target] = rule.Targets;
      expect(getAttTarget(target.Arn, 'Arn')).toBe(
        Object.entries(dev.template.Resources).find(([, r]) => r === lambdaOf(dev, 'on-image-push'))![0],
      );
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
      const dlq = getAttTarget(target.DeadLetterConfig.Arn, 'Arn');
      expect(dev.template.Resources[dlq].Type).toBe('AWS::SQS::Queue');

      const ruleArn = `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${rule.Name}`;
      const policies = resourcesOf(dev, 'AWS::SQS::QueuePolicy').filter(([, p]) => p.Properties.Queues.some((q: any) => q.Ref === dlq));
      expect(policies).toHaveLength(1);
      expect(policies[0]![1].Properties.PolicyDocument.Statement).toEqual([
        {
          Sid: 'AllowImagePushRuleOnly',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [dlq, 'Arn'] },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::Sub': ruleArn } } },
        },
      ]);
    });

    it('may invoke on-image-push, and nothing else may through that permission', () => {
      const onImagePush = Object.entries(dev.template.Resources).find(([, r]) => r === lambdaOf(dev, 'on-image-push'))![0];
      const permissions = resourcesOf(dev, 'AWS::Lambda::Permission').filter(
        ([, p]) => p.Properties.Principal === 'events.amazonaws.com' && JSON.stringify(p.Properties.FunctionName).includes(onImagePush),
      );
      expect(permissions).toHaveLength(1);
      const sourceArn = JSON.stringify(permissions[0]![1].Properties.SourceArn);
      expect(sourceArn).toContain(`"rule","${ruleOf(dev).Properties.Name}"`);
    });
  });

  describe('the on-image-push async configuration', () => {
    it('retries twice within six hours, then sends the event to its own failure queue', () => {
      const functionId = Object.entries(dev.template.Resources).find(([, r]) => r === lambdaOf(dev, 'on-image-push'))![0];
      const configs = resourcesOf(dev, 'AWS::Lambda::EventInvokeConfig').filter(([, c]) =>
        JSON.stringify(c.Properties.FunctionName).includes(functionId),
      );
      expect(configs).toHaveLength(1);
      const [, config] = configs[0]!;
      expect(config.Properties.MaximumRetryAttempts).toBe(2);
      expect(config.Properties.MaximumEventAgeInSeconds).toBe(21600);
      const queue = getAttTarget(config.Properties.DestinationConfig.OnFailure.Destination, 'Arn');
      expect(dev.template.Resources[queue].Type).toBe('AWS::SQS::Queue');
      const role = getAttTarget(lambdaOf(dev, 'on-image-push').Properties.Role, 'Arn');
      const send = roleStatements(dev, role).filter((s) => s.Action.includes('sqs:SendMessage'));
      expect(send.flatMap((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [queue, 'Arn'] }]);
      const ruleDlq = getAttTarget(imagePushRuleOf(dev).Properties.Targets[0].DeadLetterConfig.Arn, 'Arn');
      expect(queue).not.toBe(ruleDlq);
    });
  });

  describe('the reconciler', () => {
    it('runs on a schedule, with its own role and no retries of a pass', () => {
      const reconcile = lambdaOf(dev, 'reconcile');
      const id = Object.entries(dev.template.Resources).find(([, r]) => r === reconcile)![0];
      const schedules = resourcesOf(dev, 'AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression !== undefined);
      expect(schedules).toHaveLength(1);
      expect(schedules[0]![1].Properties.ScheduleExpression).toBe('rate(15 minutes)');
      expect(JSON.stringify(schedules[0]![1].Properties.Targets)).toContain(id);
      expect(reconcile.Properties.Timeout).toBe(300);
      const roles = ['on-image-push', 'api', 'reconcile'].map((name) => JSON.stringify(lambdaOf(dev, name).Properties.Role));
      expect(new Set(roles).size).toBe(3);
    });
  });

  describe('the dead-letter queues', () => {
    it('each have an alarm on ApproximateNumberOfMessagesVisible > 0, notifying the alarm topic when one is given', () => {
      const queues = resourcesOf(dev, 'AWS::SQS::Queue').map(([id]) => id);
      expect(queues).toHaveLength(2);
      for (const queue of queues) {
        const alarms = resourcesOf(dev, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
          a.Properties.Dimensions.some((d: any) => d.Name === 'QueueName' && d.Value['Fn::GetAtt']?.[0] === queue),
        );
        expect(alarms, queue).toHaveLength(1);
        const [alarmId, alarm] = alarms[0]!;
        expect(alarm.Properties).toMatchObject({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
        const actions = (stage: PackagedStage) => {
          const parameters = parameterValues(stage.template);
          return resolveValue(
            stage.template.Resources[alarmId].Properties,
            parameters,
            evaluateConditions(stage.template, parameters),
          ) as any;
        };
        expect(actions(dev).AlarmActions).toBeUndefined();
        expect(actions(prod).AlarmActions).toEqual([prodParams.alarmTopicArn]);
      }
    });
  });

  describe('the alarms on application metrics', () => {
    const metricAlarms = (stage: PackagedStage) => {
      const parameters = parameterValues(stage.template);
      const conditions = evaluateConditions(stage.template, parameters);
      return resourcesOf(stage, 'AWS::CloudWatch::Alarm')
        .filter(([, a]) => a.Properties.Namespace === 'ManifestAssembler')
        .filter(([, a]) => a.Condition === undefined || conditions[a.Condition] === true)
        .map(([id, a]) => [id, resolveValue(a.Properties, parameters, conditions) as any] as const);
    };

    it('are left out unless metricAlarms is true', () => {
      expect(metricAlarms(dev)).toEqual([]);
    });

    it('watch conflicts, failures and event age under the names the code emits, notifying the alarm topic', () => {
      const byMetric = Object.fromEntries(metricAlarms(prod).map(([, a]) => [a.MetricName, a]));
      expect(Object.keys(byMetric).sort()).toEqual([Timings.eventAge, Counters.versionsFailed, Counters.versionsInConflict].sort());
      for (const alarm of Object.values(byMetric)) {
        expect(alarm).toMatchObject({
          Namespace: METRICS_NAMESPACE,
          Dimensions: [{ Name: 'service', Value: 'manifest-assembler' }],
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [prodParams.alarmTopicArn],
        });
      }
      expect(byMetric[Counters.versionsInConflict]).toMatchObject({ Statistic: 'Sum', Threshold: 0 });
      expect(byMetric[Counters.versionsFailed]).toMatchObject({ Statistic: 'Sum', Threshold: 0 });
      expect(byMetric[Timings.eventAge]).toMatchObject({ Statistic: 'Maximum', Threshold: '600' });
    });
  });

  describe('the table', () => {
    it('has the key schema of src/adapters/dynamodb/dynamodb-table.ts, on demand, with point-in-time recovery', () => {
      const [, table] = onlyResourceOf(dev, 'AWS::DynamoDB::Table');
      expect(table.Properties).toMatchObject({
        KeySchema: VERSION_TABLE_DEFINITION.KeySchema,
        AttributeDefinitions: VERSION_TABLE_DEFINITION.AttributeDefinitions,
        BillingMode: VERSION_TABLE_DEFINITION.BillingMode,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
      expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
    });

    it('is protected from deletion on prod only', () => {
      const [id, table] = onlyResourceOf(dev, 'AWS::DynamoDB::Table');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
      expect(table.DeletionPolicy).toBe('Delete');
      expect(prod.template.Resources[id].Properties.DeletionProtectionEnabled).toBe(true);
      expect(prod.template.Resources[id].DeletionPolicy).toBe('Retain');
      expect(prod.template.Resources[id].UpdateReplacePolicy).toBe('Retain');
    });
  });

  describe('the deploy parameters', () => {
    it('limit ECR access to repositoryArns when given, else to the repositories under repositoryPrefix', () => {
      const ecrResources = (stage: PackagedStage) => {
        const parameters = parameterValues(stage.template);
        const conditions = evaluateConditions(stage.template, parameters);
        return policyStatements(stage)
          .filter((s) => s.statement.Action.some((a) => a.startsWith('ecr:')))
          .map((s) => resolveValue(s.statement.Resource as any, parameters, conditions));
      };
      const everyRepository = [[{ 'Fn::Sub': 'arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*' }]];
      expect(ecrResources(dev)).toEqual(
        functionNames(dev)
          .map(() => everyRepository[0])
          .map((r) => [r]),
      );
      expect(ecrResources(prod)).toEqual(functionNames(prod).map(() => [prodParams.repositoryArns.split(',')]));
    });
  });

  describe('the outcome events', () => {
    const resolved = (stage: PackagedStage, value: any) => {
      const parameters = parameterValues(stage.template);
      return resolveValue(value, parameters, evaluateConditions(stage.template, parameters));
    };
    const busArn = (bus: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${bus}` });

    it('go to the bus named by eventBusName: default unless given', () => {
      expect(dev.template.Parameters.EventBusName).toMatchObject({ Type: 'String', Default: 'default' });
      expect(prod.template.Parameters.EventBusName).toMatchObject({ Type: 'String', Default: 'releases' });
      for (const name of ['on-image-push', 'api', 'reconcile']) {
        expect(resolved(dev, lambdaOf(dev, name).Properties.Environment.Variables.EVENT_BUS_NAME)).toBe('default');
        expect(resolved(prod, lambdaOf(prod, name).Properties.Environment.Variables.EVENT_BUS_NAME)).toBe('releases');
      }
    });

    it('may be put by every function on that bus only, and by nothing else', () => {
      for (const stage of [dev, prod]) {
        const bus = stage === dev ? 'default' : 'releases';
        const putters = policyStatements(stage).filter((s) => s.statement.Action.some((a) => a.startsWith('events:')));
        const roles = ['on-image-push', 'api', 'reconcile'].map((name) => getAttTarget(lambdaOf(stage, name).Properties.Role, 'Arn'));
        expect(putters.map((s) => s.where).sort()).toEqual([...roles].sort());
        for (const { statement } of putters) {
          expect(statement).toMatchObject({ Effect: 'Allow', Action: ['events:PutEvents'] });
          expect(resolved(stage, statement.Resource)).toEqual([busArn(bus)]);
        }
      }
    });
  });

  describe('ECR managed signing (signingProfileArns)', () => {
    /** The statements of a function's role as CloudFormation would deploy them for the stage's parameters. */
    const deployedStatements = (stage: PackagedStage, name: string): Statement[] => {
      const parameters = parameterValues(stage.template);
      const conditions = evaluateConditions(stage.template, parameters);
      const role = getAttTarget(lambdaOf(stage, name).Properties.Role, 'Arn');
      const resolved = resolveValue(stage.template.Resources[role].Properties.Policies as any, parameters, conditions) as any[];
      return resolved
        .flatMap((p) => asList<any>(p.PolicyDocument.Statement))
        .map((s) => ({ ...s, Action: asList(s.Action), Resource: asList(s.Resource) }));
    };
    const signing = (statements: Statement[]) => statements.filter((s) => s.Action.some((a) => a.startsWith('signer:')));

    it.each(['on-image-push', 'api', 'reconcile'])('is not granted to %s without the parameter', (name) => {
      const statements = deployedStatements(dev, name);
      expect(signing(statements)).toEqual([]);
      expect(statements.flatMap((s) => s.Action).filter((a) => /LayerUpload|UploadLayer|LayerAvailability/.test(a))).toEqual([]);
    });

    it.each(['on-image-push', 'api', 'reconcile'])(
      'lets %s (it puts indexes) sign with the given profiles only, and upload the signature to the repositories only',
      (name) => {
        const statements = deployedStatements(prod, name);
        expect(signing(statements)).toEqual([
          { Sid: 'ManagedSigning', Effect: 'Allow', Action: ['signer:SignPayload'], Resource: prodParams.signingProfileArns.split(',') },
        ]);
        const upload = statements.filter((s) => s.Action.includes('ecr:InitiateLayerUpload'));
        expect(upload).toEqual([
          {
            Sid: 'ManagedSigningUpload',
            Effect: 'Allow',
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload'],
            Resource: prodParams.repositoryArns.split(','),
          },
        ]);
        for (const statement of statements) for (const action of statement.Action) expect(action).not.toContain('*');
      },
    );
  });

  describe('the reserved concurrency of on-image-push', () => {
    it('is unset unless onImagePushConcurrency is given', () => {
      const reserved = (stage: PackagedStage) => {
        const parameters = parameterValues(stage.template);
        const lambda = resolveValue(
          lambdaOf(stage, 'on-image-push') as any,
          parameters,
          evaluateConditions(stage.template, parameters),
        ) as any;
        return lambda.Properties.ReservedConcurrentExecutions;
      };
      expect(reserved(dev)).toBeUndefined();
      expect(reserved(prod)).toBe('5');
    });
  });

  it('outputs the HTTP API URL, the table name and the dead-letter queue names', () => {
    expect(Object.keys(dev.template.Outputs)).toEqual(
      expect.arrayContaining(['HttpApiUrl', 'TableName', 'ImagePushRuleDeadLetterQueueName', 'OnImagePushFailureQueueName']),
    );
  });
});
