import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * How deep `expression` nests grouping parentheses. A function call's parentheses (`size(#a)`,
 * `attribute_not_exists(#a)`: the name right before them) do not group and are not counted.
 */
export function groupingDepth(expression: string): number {
  const groups: boolean[] = [];
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < expression.length; i++) {
    const char = expression[i];
    if (char === '(') {
      const grouping = i === 0 || !/[A-Za-z0-9_]/.test(expression[i - 1] as string);
      groups.push(grouping);
      if (grouping) deepest = Math.max(deepest, ++depth);
    } else if (char === ')') {
      if (groups.pop() === true) depth--;
    }
  }
  return deepest;
}

/** Keeps every `ConditionExpression` sent through `client` from now on (distinct, in first-sent order). */
export function captureConditionExpressions(client: DynamoDBClient): Set<string> {
  const seen = new Set<string>();
  client.middlewareStack.add(
    (next) => async (args) => {
      const condition = (args.input as { ConditionExpression?: unknown }).ConditionExpression;
      if (typeof condition === 'string') seen.add(condition);
      return next(args);
    },
    { step: 'initialize' },
  );
  return seen;
}
