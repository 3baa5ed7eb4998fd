import { beforeAll, describe, expect, it } from 'vitest';
import { type CfnProblem, type CfnTemplate, checkTemplate } from './cfn-check.ts';
import { loadAwsResourceSpec, type ResourceSpec } from './cfn-spec.ts';

/** A small valid template in the shape osls produces: function, role, log group, queue, rule, route. */
function validTemplate(): CfnTemplate {
  return structuredClone({
    Parameters: { Prefix: { Type: 'String', Default: '' } },
    Conditions: { HasPrefix: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Prefix' }, ''] }] } },
    Resources: {
      FnLogGroup: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/fn', RetentionInDays: 30 } },
      FnRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
          Policies: [
            {
              PolicyName: 'fn',
              PolicyDocument: {
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: 'logs:PutLogEvents',
                    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${FnLogGroup}:*' },
                  },
                ],
              },
            },
          ],
        },
      },
      Fn: {
        Type: 'AWS::Lambda::Function',
        DependsOn: ['FnLogGroup'],
        Properties: {
          Code: { S3Bucket: 'bucket', S3Key: 'fn.zip' },
          Handler: 'dist/fn/index.handler',
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] },
        },
      },
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { source: ['aws.ecr'] },
          Targets: [
            {
              Id: 'fn',
              Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] },
              RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['Dlq', 'Arn'] } },
            },
          ],
        },
      },
      Alarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 1,
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['Dlq', 'QueueName'] } }],
          AlarmActions: { 'Fn::If': ['HasPrefix', [{ Ref: 'Prefix' }], { Ref: 'AWS::NoValue' }] },
        },
      },
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'api', ProtocolType: 'HTTP' } },
      Route: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: { ApiId: { Ref: 'Api' }, RouteKey: 'GET /v1/health', AuthorizationType: 'AWS_IAM' },
      },
    },
    Outputs: { Url: { Value: { 'Fn::Sub': 'https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}' } } },
  });
}

type Resources = CfnTemplate['Resources'];
const props = (r: Resources, id: string) => r[id]!.Properties as Record<string, any>;

describe('checkTemplate', () => {
  let spec: ResourceSpec;
  beforeAll(() => {
    spec = loadAwsResourceSpec();
  });

  describe('when the template is valid', () => {
    it('reports nothing', () => {
      expect(checkTemplate(validTemplate(), spec)).toEqual([]);
    });
  });

  const mistakes: Array<{ name: string; inject: (r: Resources, t: Record<string, any>) => void; want: CfnProblem }> = [
    {
      name: 'a typo in a property name',
      inject: (r) => {
        props(r, 'Fn').Runtim = props(r, 'Fn').Runtime;
        delete props(r, 'Fn').Runtime;
      },
      want: { path: 'Resources.Fn.Properties.Runtim', message: '"Runtim" is not a property of AWS::Lambda::Function' },
    },
    {
      name: 'a typo in a nested property name',
      inject: (r) => {
        props(r, 'Rule').Targets[0].RetryPolicy = { MaximumRetryAttempt: 3 };
      },
      want: {
        path: 'Resources.Rule.Properties.Targets[0].RetryPolicy.MaximumRetryAttempt',
        message: '"MaximumRetryAttempt" is not a property of RetryPolicy',
      },
    },
    {
      name: 'a typo inside a branch of Fn::If',
      inject: (r) => {
        props(r, 'Fn').DeadLetterConfig = { 'Fn::If': ['HasPrefix', { TargetArm: 'x' }, { Ref: 'AWS::NoValue' }] };
      },
      want: {
        path: 'Resources.Fn.Properties.DeadLetterConfig[Fn::If 1].TargetArm',
        message: '"TargetArm" is not a property of DeadLetterConfig',
      },
    },
    {
      name: 'an unknown GetAtt attribute',
      inject: (r) => {
        props(r, 'Rule').Targets[0].DeadLetterConfig.Arn = { 'Fn::GetAtt': ['Dlq', 'QueueArn'] };
      },
      want: {
        path: 'Resources.Rule.Properties.Targets[0].DeadLetterConfig.Arn.Fn::GetAtt',
        message: 'AWS::SQS::Queue has no attribute "QueueArn" (it has: Arn, QueueName, QueueUrl)',
      },
    },
    {
      name: 'an unknown attribute in a Fn::Sub',
      inject: (r) => {
        props(r, 'FnRole').Policies[0].PolicyDocument.Statement[0].Resource = { 'Fn::Sub': '${Dlq.Name}' };
      },
      want: {
        path: 'Resources.FnRole.Properties.Policies[0].PolicyDocument.Statement[0].Resource.Fn::Sub',
        message: 'AWS::SQS::Queue has no attribute "Name" (it has: Arn, QueueName, QueueUrl)',
      },
    },
    {
      name: 'a misspelt resource type',
      inject: (r) => {
        r.Dlq!.Type = 'AWS::SQS::Queeu';
      },
      want: { path: 'Resources.Dlq.Type', message: 'unknown resource type "AWS::SQS::Queeu"' },
    },
    {
      name: 'a missing required property',
      inject: (r) => {
        delete props(r, 'Route').RouteKey;
      },
      want: { path: 'Resources.Route.Properties', message: 'AWS::ApiGatewayV2::Route requires property "RouteKey"' },
    },
    {
      name: 'a missing required nested property',
      inject: (r) => {
        delete props(r, 'Rule').Targets[0].Id;
      },
      want: { path: 'Resources.Rule.Properties.Targets[0]', message: 'Target requires property "Id"' },
    },
    {
      name: 'a dangling Ref',
      inject: (r) => {
        props(r, 'Route').ApiId = { Ref: 'HttpApi' };
      },
      want: { path: 'Resources.Route.Properties.ApiId.Ref', message: '"HttpApi" is not a resource, parameter or pseudo-parameter' },
    },
    {
      name: 'a dangling Fn::Sub variable in an output',
      inject: (_r, t) => {
        t.Outputs.Url.Value = { 'Fn::Sub': 'https://${HttpApi}.execute-api.${AWS::Region}' };
      },
      want: { path: 'Outputs.Url.Value.Fn::Sub', message: '"HttpApi" is not a resource, parameter or pseudo-parameter' },
    },
    {
      name: 'a dangling DependsOn',
      inject: (r) => {
        r.Fn!.DependsOn = ['FnLogGroup', 'FnLogGrp'];
      },
      want: { path: 'Resources.Fn.DependsOn', message: 'DependsOn names "FnLogGrp", which is not a resource' },
    },
    {
      name: 'an undefined condition in Fn::If',
      inject: (r) => {
        props(r, 'Alarm').AlarmActions['Fn::If'][0] = 'HasPrefx';
      },
      want: { path: 'Resources.Alarm.Properties.AlarmActions.Fn::If', message: 'condition "HasPrefx" is not defined' },
    },
    {
      name: 'an invalid DeletionPolicy',
      inject: (r) => {
        r.Dlq!.DeletionPolicy = 'Keep';
      },
      want: { path: 'Resources.Dlq.DeletionPolicy', message: 'invalid DeletionPolicy "Keep"' },
    },
  ];

  describe.each(mistakes)('when the template has $name', ({ inject, want }) => {
    it('reports exactly that mistake', () => {
      const template = validTemplate();
      inject(template.Resources, template as Record<string, any>);
      expect(checkTemplate(template, spec)).toEqual([want]);
    });
  });

  describe('when a Fn::Sub escapes a ${!literal} or names its own variables', () => {
    it('does not report them', () => {
      const template = validTemplate();
      template.Outputs!.Url = { Value: { 'Fn::Sub': ['${!NotARef}/${Local}', { Local: 'x' }] } };
      expect(checkTemplate(template, spec)).toEqual([]);
    });
  });
});
