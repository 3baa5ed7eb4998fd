// The floor a Lambda bundle is measured against: only the AWS SDK clients and middy the functions
// need, built with the same esbuild options (bench/bundles.ts). Whatever a function bundle weighs
// above this is the project's own code and its other libraries. Keep the commands (and paginators)
// those the adapters of the Lambda functions send, so that the SDK code on both sides is the same.
import {
  BatchGetItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  ListImagesCommand,
  PutImageCommand,
  paginateListImages,
} from '@aws-sdk/client-ecr';
import middy from '@middy/core';

const dynamodb = new DynamoDBClient({});
const ecr = new ECRClient({});
const commands = [BatchGetItemCommand, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand];
const ecrCommands = [
  BatchGetImageCommand,
  DescribeImagesCommand,
  GetDownloadUrlForLayerCommand,
  ListImagesCommand,
  PutImageCommand,
  paginateListImages,
];

export const handler = middy(async () => ({ clients: [dynamodb, ecr].length, commands: commands.length + ecrCommands.length }));
