// The `operation` labels of secretsource_provider_calls_total for aws: a leaf that the descriptor
// (index.ts) and the modules making the calls both import, so neither imports the other.
/** The `operation` label of each AWS call: the Secrets Manager calls (api.ts) and STS logins (sts.ts). */
export const AWS_OPERATIONS = ['get', 'getMany', 'find', 'validate', 'write', 'login'] as const;
export type AwsOperation = (typeof AWS_OPERATIONS)[number];
