import type { IDataObject, INodeType } from 'n8n-workflow';

import { claimServer, hookContext, reply } from './support/helpers';
import { SECRET, TEST_WEBHOOK_URL, WEBHOOK_URL, hooksOf, signedRequest } from './support/triggers';
import { AiAgentTrigger } from '../../nodes/AiAgentTrigger/AiAgentTrigger.node';
import { ConversationEndedTrigger } from '../../nodes/ConversationEndedTrigger/ConversationEndedTrigger.node';
import { TagAddedTrigger } from '../../nodes/TagAddedTrigger/TagAddedTrigger.node';
import { compactFilters } from '../../nodes/shared/TriggerFunctions';

// Every trigger shares one lifecycle, signature check and de-duplication: each is run through all of it.
const triggers: Array<[string, INodeType, string, Record<string, unknown>, IDataObject]> = [
	[
		'AI Agent Trigger',
		new AiAgentTrigger(),
		'agent.action.triggered',
		{ agentId: 'lead-qualifier', actionId: 'lead_scoring' },
		{ agentId: 'lead-qualifier', actionId: 'lead_scoring' },
	],
	[
		'Conversation Ended Trigger',
		new ConversationEndedTrigger(),
		'conversation.ended',
		{ agentId: 'lead-qualifier', channel: 'web', outcome: 'booked', endReason: '' },
		{ agentId: 'lead-qualifier', channel: 'web', outcome: 'booked' },
	],
	[
		'Tag Added Trigger',
		new TagAddedTrigger(),
		'contact.tag.added',
		{ tags: ['hot_lead', 'urgent_need'], agentId: '', addedBy: 'agent' },
		{ tags: ['hot_lead', 'urgent_need'], addedBy: 'agent' },
	],
];

describe.each(triggers)('%s: subscription lifecycle', (_name, node, event, params, filters) => {
	const { hooks } = hooksOf(node);

	it('create subscribes the webhook URL for its event with the filters, and stores id and secret', async () => {
		const { context, staticData, httpRequestWithAuthentication } = hookContext({
			params,
			webhookUrl: WEBHOOK_URL,
			request: async () => reply({ id: 'sub_1', url: WEBHOOK_URL, secret: SECRET, events: [event] }, 201),
		});
		await expect(hooks.create.call(context)).resolves.toBe(true);
		const options = httpRequestWithAuthentication.mock.calls[0][1];
		expect(options).toMatchObject({ method: 'POST', url: 'http://agents.test:3000/v1/subscriptions' });
		expect(options.body).toEqual({ url: WEBHOOK_URL, events: [event], filters });
		expect(staticData).toEqual({ subscriptionId: 'sub_1', secret: SECRET });
	});

	it('create asks for a test event while n8n listens for one', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({
			params,
			mode: 'manual',
			webhookUrl: TEST_WEBHOOK_URL,
			request: async () => reply({ id: 'sub_t', secret: SECRET }, 201),
		});
		await hooks.create.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body).toEqual({
			url: TEST_WEBHOOK_URL,
			events: [event],
			filters,
			sendTestEvent: true,
		});
	});

	it('create fails clearly when the answer has no id or secret', async () => {
		const { context, staticData } = hookContext({ params, request: async () => reply({ ok: true }) });
		await expect(hooks.create.call(context)).rejects.toThrow('did not return a subscription id and signing secret');
		expect(staticData).toEqual({});
	});

	it('checkExists is false when nothing is stored, without asking the server', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({ params });
		await expect(hooks.checkExists.call(context)).resolves.toBe(false);
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
	});

	it('checkExists is true when the stored subscription matches URL, event and filters (in any order)', async () => {
		const reordered = Object.fromEntries(
			Object.entries(filters)
				.reverse()
				.map(([k, v]) => [k, Array.isArray(v) ? [...v].reverse() : v]),
		);
		const { context, httpRequestWithAuthentication } = hookContext({
			params,
			staticData: { subscriptionId: 'sub_1', secret: SECRET },
			webhookUrl: WEBHOOK_URL,
			request: async () => reply({ id: 'sub_1', url: WEBHOOK_URL, events: [event], filters: reordered }),
		});
		await expect(hooks.checkExists.call(context)).resolves.toBe(true);
		expect(httpRequestWithAuthentication).toHaveBeenCalledTimes(1);
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'GET',
			url: 'http://agents.test:3000/v1/subscriptions/sub_1',
		});
	});

	it('checkExists is false on a 404 and forgets the subscription, so it is recreated', async () => {
		const { context, staticData } = hookContext({
			params,
			staticData: { subscriptionId: 'sub_gone', secret: SECRET, seenWebhookIds: ['msg_1'] },
			request: async () => reply({ statusCode: 404, error: 'Not Found', message: 'not found' }, 404),
		});
		await expect(hooks.checkExists.call(context)).resolves.toBe(false);
		expect(staticData).toEqual({});
	});

	it.each([
		['the filters changed', { filters: { agentId: 'someone-else' } }],
		['the URL changed', { url: 'https://old.test/webhook/abc/webhook' }],
		['the event differs', { events: ['something.else'] }],
	])('checkExists replaces the subscription when %s', async (_case, change) => {
		const { context, staticData, httpRequestWithAuthentication } = hookContext({
			params,
			staticData: { subscriptionId: 'sub_1', secret: SECRET },
			webhookUrl: WEBHOOK_URL,
			request: async (_type: string, options: IDataObject) =>
				options.method === 'GET'
					? reply({ id: 'sub_1', url: WEBHOOK_URL, events: [event], filters, ...change })
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
			params,
			staticData: { subscriptionId: 'sub_1', secret: SECRET },
			request: async () => reply({ message: 'database unavailable' }, 503),
		});
		await expect(hooks.checkExists.call(context)).rejects.toThrow('database unavailable');
	});

	it('delete removes the subscription and clears static data; a 404 counts as deleted', async () => {
		for (const status of [204, 404]) {
			const { context, staticData, httpRequestWithAuthentication } = hookContext({
				staticData: { subscriptionId: 'sub_1', secret: SECRET },
				request: async () => reply(status === 204 ? '' : { message: 'not found' }, status),
			});
			await expect(hooks.delete.call(context)).resolves.toBe(true);
			expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
				method: 'DELETE',
				url: 'http://agents.test:3000/v1/subscriptions/sub_1',
			});
			expect(staticData).toEqual({});
		}
	});

	it('delete fails on other errors so n8n reports them', async () => {
		const { context } = hookContext({
			staticData: { subscriptionId: 'sub_1', secret: SECRET },
			request: async () => reply({ message: 'Invalid API key' }, 401),
		});
		await expect(hooks.delete.call(context)).rejects.toThrow('Invalid API key');
	});
});

describe.each(triggers)('%s: webhook', (_name, node, event) => {
	const { webhook } = hooksOf(node);
	const envelope = {
		id: 'evt_1',
		type: event,
		version: 1,
		agent: { id: 'lead-qualifier', name: 'Lead Qualifier' },
		conversation: { id: 'conv_1', channel: 'web', status: 'active' },
		contact: { id: 'ct_1', firstName: 'Dana', customFields: { budget: '$25,000' }, tags: [] },
	};
	const body = JSON.stringify(envelope);

	it('starts the workflow with the flattened ids and the whole envelope once the server granted its claim', async () => {
		const { context, response, staticData, httpRequestWithAuthentication } = signedRequest(envelope);
		const before = structuredClone(staticData);
		const result = await webhook.call(context);
		expect(httpRequestWithAuthentication).toHaveBeenCalledTimes(1);
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'POST',
			url: 'http://agents.test:3000/v1/deliveries/msg_1/claim',
			body: { subscriptionId: 'sub_1', workflowId: 'wf_1', workflowName: 'Lead Scoring' },
		});
		expect(response.status).not.toHaveBeenCalled();
		const [[item]] = result.workflowData ?? [[]];
		expect(item.json).toMatchObject({
			...envelope,
			eventId: 'evt_1',
			eventType: event,
			contactId: 'ct_1',
			conversationId: 'conv_1',
			agentId: 'lead-qualifier',
			channel: 'web',
			deliveryId: 'msg_1',
		});
		expect(Object.keys(item.json)[0]).toBe('eventId');
		// Nothing is kept in static data: n8n does not save it from a webhook call.
		expect(staticData).toEqual(before);
	});

	it.each([
		['a tampered body', { body: body.replace('$25,000', '$99,000') }],
		['a wrong secret', { secret: 'whsec_' + Buffer.from('some-other-secret-24-bytes').toString('base64') }],
		['a stale timestamp', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }],
		['no stored secret', { staticData: {} }],
	])('answers 401 and starts nothing for %s', async (_case, options) => {
		const { context, response, httpRequestWithAuthentication } = signedRequest(envelope, options);
		const result = await webhook.call(context);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(response.status).toHaveBeenCalledWith(401);
		expect(response.json).toHaveBeenCalledWith({ message: expect.any(String) });
		// A forged request claims nothing: the real delivery can still start its workflow.
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
	});

	it('starts nothing for a delivery the server says another copy already claimed, and answers it', async () => {
		const server = claimServer();
		const first = await webhook.call(signedRequest(envelope, { request: server }).context);
		expect(first.workflowData).toHaveLength(1);

		const { context, response } = signedRequest(envelope, { request: server });
		await expect(webhook.call(context)).resolves.toEqual({});
		expect(response.status).not.toHaveBeenCalled();

		const other = await webhook.call(signedRequest(envelope, { request: server, id: 'msg_2' }).context);
		expect(other.workflowData).toHaveLength(1);
	});

	it('fails the request (so the server retries) when the claim cannot be made', async () => {
		const { context } = signedRequest(envelope, { request: async () => reply({ message: 'database unavailable' }, 503) });
		await expect(webhook.call(context)).rejects.toThrow('database unavailable');
	});
});

describe('compactFilters', () => {
	it('leaves out empty values and blank or repeated list entries', () => {
		expect(compactFilters({ agentId: '', channel: 'web', tags: [' a ', '', 'a', 'b'], x: null })).toEqual({
			channel: 'web',
			tags: ['a', 'b'],
		});
		expect(compactFilters({ tags: [''] })).toEqual({});
	});
});
