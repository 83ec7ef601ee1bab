import type { IDataObject } from 'n8n-workflow';

import { hookContext, reply, sign, webhookContext } from './__tests__/helpers';
import { AiAgentTrigger } from './AiAgentTrigger.node';

const trigger = new AiAgentTrigger();
const hooks = trigger.webhookMethods.default;
const WEBHOOK_URL = 'https://n8n.test/webhook/abc/webhook';
const SECRET = 'whsec_' + Buffer.from('a-24-byte-secret-for-tests!').toString('base64');

describe('AI Agent Trigger: description', () => {
	it('is a webhook trigger with the agreed names', () => {
		const { description } = trigger;
		expect(description.name).toBe('aiAgentTrigger');
		expect(description.displayName).toBe('AI Agent Trigger');
		expect(description.group).toEqual(['trigger']);
		expect(description.credentials).toEqual([{ name: 'agentBridgeApi', required: true }]);
		expect(description.webhooks).toEqual([
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' },
		]);
		expect(description.properties.map((p) => p.name)).toEqual(['agentId', 'actionId']);
		expect(description.properties[1].typeOptions?.loadOptionsDependsOn).toEqual(['agentId']);
	});
});

describe('AI Agent Trigger: subscription lifecycle', () => {
	it('create subscribes the webhook URL with the filters and stores id and secret', async () => {
		const { context, staticData, httpRequestWithAuthentication } = hookContext({
			params: { agentId: 'lead-qualifier', actionId: 'lead_scoring' },
			webhookUrl: WEBHOOK_URL,
			request: async () =>
				reply({ id: 'sub_1', url: WEBHOOK_URL, secret: SECRET, events: ['agent.action.triggered'] }, 201),
		});

		await expect(hooks.create.call(context)).resolves.toBe(true);

		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'POST',
			url: 'http://agents.test:3000/v1/subscriptions',
			body: {
				url: WEBHOOK_URL,
				events: ['agent.action.triggered'],
				filters: { agentId: 'lead-qualifier', actionId: 'lead_scoring' },
			},
		});
		expect(staticData).toEqual({ subscriptionId: 'sub_1', secret: SECRET });
	});

	it('create leaves out empty filters (any agent, any action)', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({
			params: { agentId: '', actionId: '' },
			request: async () => reply({ id: 'sub_2', secret: SECRET }, 201),
		});
		await hooks.create.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body.filters).toEqual({});
	});

	it('checkExists is false when nothing is stored, without asking the server', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({});
		await expect(hooks.checkExists.call(context)).resolves.toBe(false);
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
	});

	it('checkExists is true when the stored subscription still matches', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({
			params: { agentId: 'lead-qualifier', actionId: '' },
			staticData: { subscriptionId: 'sub_1', secret: SECRET },
			webhookUrl: WEBHOOK_URL,
			request: async () =>
				reply({ id: 'sub_1', url: WEBHOOK_URL, filters: { agentId: 'lead-qualifier' } }),
		});
		await expect(hooks.checkExists.call(context)).resolves.toBe(true);
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'GET',
			url: 'http://agents.test:3000/v1/subscriptions/sub_1',
		});
	});

	it('checkExists is false on a 404 and forgets the subscription, so it is recreated', async () => {
		const { context, staticData } = hookContext({
			staticData: { subscriptionId: 'sub_gone', secret: SECRET, seenWebhookIds: ['msg_1'] },
			request: async () => reply({ statusCode: 404, error: 'Not Found', message: 'not found' }, 404),
		});
		await expect(hooks.checkExists.call(context)).resolves.toBe(false);
		expect(staticData).toEqual({});
	});

	it('checkExists replaces a subscription whose URL or filters changed', async () => {
		const { context, staticData, httpRequestWithAuthentication } = hookContext({
			params: { agentId: 'lead-qualifier', actionId: 'book_call' },
			staticData: { subscriptionId: 'sub_1', secret: SECRET },
			webhookUrl: WEBHOOK_URL,
			request: async (_type: string, options: IDataObject) =>
				options.method === 'GET'
					? reply({ id: 'sub_1', url: WEBHOOK_URL, filters: { agentId: 'lead-qualifier', actionId: 'x' } })
					: reply('', 204),
		});
		await expect(hooks.checkExists.call(context)).resolves.toBe(false);
		expect(httpRequestWithAuthentication.mock.calls[1][1]).toMatchObject({
			method: 'DELETE',
			url: 'http://agents.test:3000/v1/subscriptions/sub_1',
		});
		expect(staticData).toEqual({});
	});

	it('checkExists lets other server errors through', async () => {
		const { context } = hookContext({
			staticData: { subscriptionId: 'sub_1', secret: SECRET },
			request: async () => reply({ message: 'database unavailable' }, 503),
		});
		await expect(hooks.checkExists.call(context)).rejects.toThrow('database unavailable');
	});

	it('delete removes the subscription and clears static data', async () => {
		const { context, staticData, httpRequestWithAuthentication } = hookContext({
			staticData: { subscriptionId: 'sub_1', secret: SECRET, seenWebhookIds: ['msg_1'] },
			request: async () => reply('', 204),
		});
		await expect(hooks.delete.call(context)).resolves.toBe(true);
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'DELETE',
			url: 'http://agents.test:3000/v1/subscriptions/sub_1',
		});
		expect(staticData).toEqual({});
	});

	it('delete treats a 404 as already deleted', async () => {
		const { context, staticData } = hookContext({
			staticData: { subscriptionId: 'sub_gone', secret: SECRET },
			request: async () => reply({ message: 'not found' }, 404),
		});
		await expect(hooks.delete.call(context)).resolves.toBe(true);
		expect(staticData).toEqual({});
	});

	it('delete fails on other errors so n8n reports them', async () => {
		const { context } = hookContext({
			staticData: { subscriptionId: 'sub_1', secret: SECRET },
			request: async () => reply({ message: 'Invalid API key' }, 401),
		});
		await expect(hooks.delete.call(context)).rejects.toThrow('Invalid API key');
	});
});

describe('AI Agent Trigger: webhook', () => {
	const envelope = {
		id: 'evt_1',
		type: 'agent.action.triggered',
		version: 1,
		causation: { depth: 0, parentEventId: null },
		agent: { id: 'lead-qualifier', name: 'Lead Qualifier' },
		conversation: { id: 'conv_1', channel: 'api', status: 'active' },
		contact: { id: 'ct_1', firstName: 'Dana', customFields: {}, tags: [] },
		action: { id: 'lead_scoring', name: 'Lead Scoring', condition: 'fields budget, timeline provided' },
		collected: { budget: '$25,000' },
	};
	const body = JSON.stringify(envelope);

	function signedRequest(
		options: { id?: string; timestamp?: number; secret?: string; body?: string; staticData?: IDataObject } = {},
	) {
		const id = options.id ?? 'msg_1';
		const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
		const staticData = options.staticData ?? { subscriptionId: 'sub_1', secret: SECRET };
		return {
			staticData,
			...webhookContext({
				staticData,
				headers: {
					'content-type': 'application/json',
					'webhook-id': id,
					'webhook-timestamp': String(timestamp),
					'webhook-signature': sign(options.secret ?? SECRET, id, timestamp, body),
				},
				rawBody: Buffer.from(options.body ?? body),
			}),
		};
	}

	it('starts the workflow with the envelope plus eventId, contactId and conversationId', async () => {
		const { context, response, staticData } = signedRequest();
		const result = await trigger.webhook.call(context);
		expect(response.status).not.toHaveBeenCalled();
		expect(result.workflowData).toEqual([
			[{ json: { ...envelope, eventId: 'evt_1', contactId: 'ct_1', conversationId: 'conv_1' } }],
		]);
		expect(staticData.seenWebhookIds).toEqual(['msg_1']);
	});

	it.each([
		['a tampered body', { body: body.replace('$25,000', '$99,000') }],
		['a wrong secret', { secret: 'whsec_' + Buffer.from('some-other-secret-24-bytes').toString('base64') }],
		['a stale timestamp', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }],
		['no stored secret', { staticData: {} }],
	])('answers 401 and starts nothing for %s', async (_case, options) => {
		const { context, response, staticData } = signedRequest(options);
		const result = await trigger.webhook.call(context);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(response.status).toHaveBeenCalledWith(401);
		expect(response.json).toHaveBeenCalledWith({ message: expect.any(String) });
		// A forged request must not poison the list of seen ids.
		expect(staticData.seenWebhookIds).toBeUndefined();
	});

	it('starts nothing for a webhook-id it has already seen', async () => {
		const staticData: IDataObject = { subscriptionId: 'sub_1', secret: SECRET };
		const first = await trigger.webhook.call(signedRequest({ staticData }).context);
		expect(first.workflowData).toHaveLength(1);

		const { context, response } = signedRequest({ staticData });
		const repeat = await trigger.webhook.call(context);
		expect(repeat).toEqual({});
		expect(response.status).not.toHaveBeenCalled();

		const other = await trigger.webhook.call(signedRequest({ staticData, id: 'msg_2' }).context);
		expect(other.workflowData).toHaveLength(1);
	});

	it('remembers only the last 100 webhook ids', async () => {
		const seen = Array.from({ length: 100 }, (_, n) => `msg_old_${n}`);
		const staticData: IDataObject = { subscriptionId: 'sub_1', secret: SECRET, seenWebhookIds: seen };
		await trigger.webhook.call(signedRequest({ staticData, id: 'msg_new' }).context);
		const kept = staticData.seenWebhookIds as string[];
		expect(kept).toHaveLength(100);
		expect(kept[0]).toBe('msg_old_1');
		expect(kept[99]).toBe('msg_new');
	});
});
