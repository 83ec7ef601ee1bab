// Property-based: whatever reaches a trigger node's webhook (any headers, any bytes), it never throws; an unsigned
// or forged request answers 401, starts nothing, claims nothing and leaves the node's state alone; a signed one claims
// its delivery once and starts exactly one item.
import fc from 'fast-check';
import type { IDataObject } from 'n8n-workflow';

import { sign, webhookContext } from './support/helpers';
import { SECRET, hooksOf } from './support/triggers';
import { AiAgentTrigger } from '../../nodes/AiAgentTrigger/AiAgentTrigger.node';
import { ConversationEndedTrigger } from '../../nodes/ConversationEndedTrigger/ConversationEndedTrigger.node';
import { TagAddedTrigger } from '../../nodes/TagAddedTrigger/TagAddedTrigger.node';

const nodes = [new AiAgentTrigger(), new ConversationEndedTrigger(), new TagAddedTrigger()];

const headerValue = fc.oneof(fc.string(), fc.constantFrom('', 'v1,', 'v1,AAAA', '0', '99999999999'), fc.integer().map(String));
const header = fc.option(headerValue, { nil: undefined });
const rawBody = fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.json().map((j) => Buffer.from(j)));

describe.each(nodes.map((n) => [n.description.displayName, n] as const))('%s webhook under arbitrary input', (_name, node) => {
	const { webhook } = hooksOf(node);

	test('an unsigned or forged request answers 401, starts nothing and changes no state', async () => {
		await fc.assert(
			fc.asyncProperty(header, header, header, rawBody, async (id, timestamp, signature, body) => {
				const staticData: IDataObject = { subscriptionId: 'sub_1', secret: SECRET };
				const before = structuredClone(staticData);
				const headers: Record<string, string> = { 'content-type': 'application/json' };
				if (id !== undefined) headers['webhook-id'] = id;
				if (timestamp !== undefined) headers['webhook-timestamp'] = timestamp;
				if (signature !== undefined) headers['webhook-signature'] = signature;
				const { context, response, httpRequestWithAuthentication } = webhookContext({ staticData, headers, rawBody: body });
				const result = await webhook.call(context);
				expect(result).toEqual({ noWebhookResponse: true });
				expect(response.status).toHaveBeenCalledWith(401);
				expect(staticData).toEqual(before);
				expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
			}),
			{ numRuns: 150 },
		);
	});

	test('a correctly signed request with any body starts exactly one item and never throws', async () => {
		await fc.assert(
			fc.asyncProperty(fc.stringMatching(/^msg_[A-Za-z0-9]{1,20}$/), rawBody, async (id, body) => {
				const staticData: IDataObject = { subscriptionId: 'sub_1', secret: SECRET };
				const timestamp = Math.floor(Date.now() / 1000);
				const headers = {
					'content-type': 'application/json',
					'webhook-id': id,
					'webhook-timestamp': String(timestamp),
					'webhook-signature': sign(SECRET, id, timestamp, body.toString('utf8')),
				};
				const { context, response, httpRequestWithAuthentication } = webhookContext({ staticData, headers, rawBody: Buffer.from(body.toString('utf8')) });
				const result = await webhook.call(context);
				expect(response.status).not.toHaveBeenCalled();
				expect(result.workflowData?.[0]).toHaveLength(1);
				expect(httpRequestWithAuthentication).toHaveBeenCalledTimes(1);
			}),
			{ numRuns: 100 },
		);
	});
});
