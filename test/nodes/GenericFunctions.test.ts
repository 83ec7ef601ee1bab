import type { ILoadOptionsFunctions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { executeContext, reply, sign } from './support/helpers';
import {
	agentBridgeApiRequest,
	getActions,
	getAgents,
	agentBridgeApiRequestUnlessGone,
	getAgentChoices,
	getChannelFilters,
	getChannels,
	getCausationEventId,
	getOutcomes,
	getTags,
	parseTags,
	toCustomFieldValue,
	verifyWebhookSignature,
} from '../../nodes/shared/GenericFunctions';

describe('verifyWebhookSignature', () => {
	// Test vector from the Standard Webhooks specification.
	const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
	const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
	const timestamp = 1614265330;
	const body = '{"test": 2432232314}';
	const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
	const headers = {
		'webhook-id': id,
		'webhook-timestamp': String(timestamp),
		'webhook-signature': signature,
	};

	it('accepts the specification test vector', () => {
		expect(sign(secret, id, timestamp, body)).toBe(signature);
		expect(verifyWebhookSignature(secret, headers, Buffer.from(body), timestamp)).toEqual({
			valid: true,
		});
		expect(verifyWebhookSignature(secret, headers, body, timestamp + 299).valid).toBe(true);
	});

	it('accepts the matching one of several space-separated signatures', () => {
		const several = {
			...headers,
			'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} v2,abc ${signature}`,
		};
		expect(verifyWebhookSignature(secret, several, body, timestamp).valid).toBe(true);
	});

	it('rejects a tampered body', () => {
		const result = verifyWebhookSignature(secret, headers, '{"test": 2432232315}', timestamp);
		expect(result).toEqual({ valid: false, reason: 'No matching webhook signature' });
	});

	it('rejects a wrong secret', () => {
		const other = 'whsec_' + Buffer.from('another secret of 24 bytes!').toString('base64');
		expect(verifyWebhookSignature(other, headers, body, timestamp).valid).toBe(false);
		expect(verifyWebhookSignature('', headers, body, timestamp).valid).toBe(false);
	});

	it('rejects a stale or future timestamp (5 minute tolerance)', () => {
		expect(verifyWebhookSignature(secret, headers, body, timestamp + 301)).toEqual({
			valid: false,
			reason: 'Webhook timestamp is outside the tolerance window',
		});
		expect(verifyWebhookSignature(secret, headers, body, timestamp - 301).valid).toBe(false);
	});

	it('rejects missing headers, a non-numeric timestamp and unknown signature versions', () => {
		const { 'webhook-signature': _omit, ...unsigned } = headers;
		expect(verifyWebhookSignature(secret, unsigned, body, timestamp).valid).toBe(false);
		expect(
			verifyWebhookSignature(secret, { ...headers, 'webhook-timestamp': '16142e5' }, body, timestamp)
				.valid,
		).toBe(false);
		expect(
			verifyWebhookSignature(
				secret,
				{ ...headers, 'webhook-signature': signature.replace('v1,', 'v2,') },
				body,
				timestamp,
			).valid,
		).toBe(false);
		expect(
			verifyWebhookSignature(secret, { ...headers, 'webhook-signature': 'v1,short' }, body, timestamp)
				.valid,
		).toBe(false);
	});

	it('reads header names case-insensitively', () => {
		const upper = {
			'Webhook-Id': id,
			'Webhook-Timestamp': String(timestamp),
			'Webhook-Signature': signature,
		};
		expect(verifyWebhookSignature(secret, upper, body, timestamp).valid).toBe(true);
	});
});

describe('agentBridgeApiRequest', () => {
	it('calls the credential server with the credential auth, JSON and the causation header', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({
			params: {},
			request: async () => reply({ id: 'ct_1' }),
		});
		const result = await agentBridgeApiRequest.call(
			context,
			'PATCH',
			'/v1/contacts/ct_1',
			{ firstName: 'Dana' },
			{ expand: 'tags' },
			'evt_1',
		);

		expect(result).toEqual({ id: 'ct_1' });
		expect(httpRequestWithAuthentication).toHaveBeenCalledTimes(1);
		const [credentialType, options] = httpRequestWithAuthentication.mock.calls[0];
		expect(credentialType).toBe('agentBridgeApi');
		expect(options).toMatchObject({
			method: 'PATCH',
			url: 'http://agents.test:3000/v1/contacts/ct_1',
			body: { firstName: 'Dana' },
			qs: { expand: 'tags' },
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			headers: { 'X-Agent-Bridge-Causation': 'evt_1' },
		});
		// Auth comes from the credential's `authenticate`, never from the node.
		expect(options.headers.Authorization).toBeUndefined();
	});

	it('sends no causation header, body or query when none is given', async () => {
		const { context, httpRequestWithAuthentication } = executeContext({ params: {} });
		await agentBridgeApiRequest.call(context, 'GET', '/v1/agents');
		const options = httpRequestWithAuthentication.mock.calls[0][1];
		expect(options.headers['X-Agent-Bridge-Causation']).toBeUndefined();
		expect(options.body).toBeUndefined();
		expect(options.qs).toBeUndefined();
	});

	it('returns an empty object for a 204', async () => {
		const { context } = executeContext({ params: {}, request: async () => reply('', 204) });
		await expect(agentBridgeApiRequest.call(context, 'DELETE', '/v1/subscriptions/sub_1')).resolves.toEqual(
			{},
		);
	});

	it("wraps an HTTP error into NodeApiError with the server's message and status", async () => {
		const { context } = executeContext({
			params: {},
			request: async () =>
				reply({ statusCode: 400, error: 'Bad Request', message: 'body/text must be a string' }, 400),
		});
		const error = await agentBridgeApiRequest
			.call(context, 'POST', '/v1/conversations/c/replies', {})
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).message).toBe('body/text must be a string');
		expect((error as NodeApiError).httpCode).toBe('400');
	});

	it('fails on a 404, with the message, where the object must exist', async () => {
		const { context } = executeContext({
			params: {},
			request: async () => reply({ statusCode: 404, error: 'Not Found', message: 'Subscription not found' }, 404),
		});
		const error = await agentBridgeApiRequest
			.call(context, 'GET', '/v1/subscriptions/sub_x')
			.catch((e: unknown) => e);
		expect((error as NodeApiError).httpCode).toBe('404');
		expect((error as Error).message).toBe('Subscription not found');
	});

	it('UnlessGone answers null for a 404 and still fails on other errors', async () => {
		const gone = executeContext({ params: {}, request: async () => reply({ message: 'not found' }, 404) });
		await expect(
			agentBridgeApiRequestUnlessGone.call(gone.context, 'DELETE', '/v1/subscriptions/sub_x'),
		).resolves.toBeNull();
		const found = executeContext({ params: {}, request: async () => reply({ id: 'sub_1' }) });
		await expect(
			agentBridgeApiRequestUnlessGone.call(found.context, 'GET', '/v1/subscriptions/sub_1'),
		).resolves.toEqual({ id: 'sub_1' });
		const broken = executeContext({ params: {}, request: async () => reply({ message: 'Invalid API key' }, 401) });
		await expect(
			agentBridgeApiRequestUnlessGone.call(broken.context, 'GET', '/v1/subscriptions/sub_1'),
		).rejects.toThrow('Invalid API key');
	});

	it('wraps a thrown client error, keeping the server message it carries', async () => {
		const { context } = executeContext({
			params: {},
			request: async () => {
				throw Object.assign(new Error('Request failed with status code 401'), {
					response: { status: 401, data: { message: 'Invalid API key' } },
				});
			},
		});
		const error = await agentBridgeApiRequest.call(context, 'GET', '/v1/workspace').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).message).toBe('Invalid API key');
		expect((error as NodeApiError).httpCode).toBe('401');
	});

	it('wraps a network failure into NodeApiError', async () => {
		const { context } = executeContext({
			params: {},
			request: async () => {
				throw new Error('socket hang up');
			},
		});
		const error = await agentBridgeApiRequest.call(context, 'GET', '/v1/agents').catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect((error as NodeApiError).message).toBe('socket hang up');
	});
});

describe('getCausationEventId', () => {
	it('prefers a carried causationEventId, then the trigger eventId, and ignores non-strings', () => {
		expect(getCausationEventId({ causationEventId: 'evt_a', eventId: 'evt_b' })).toBe('evt_a');
		expect(getCausationEventId({ eventId: 'evt_b' })).toBe('evt_b');
		expect(getCausationEventId({ eventId: 42 })).toBeUndefined();
		expect(getCausationEventId({ causationEventId: '' })).toBeUndefined();
		expect(getCausationEventId({})).toBeUndefined();
	});
});

describe('toCustomFieldValue', () => {
	it('turns plain numbers into numbers and keeps everything else', () => {
		expect(toCustomFieldValue('8')).toBe(8);
		expect(toCustomFieldValue('-2.5')).toBe(-2.5);
		expect(toCustomFieldValue(7)).toBe(7);
		expect(toCustomFieldValue(true)).toBe(true);
		expect(toCustomFieldValue('007')).toBe('007');
		expect(toCustomFieldValue('+15551234567')).toBe('+15551234567');
		expect(toCustomFieldValue('$25,000')).toBe('$25,000');
		expect(toCustomFieldValue('')).toBe('');
		expect(toCustomFieldValue(null)).toBeNull();
	});
});

describe('load options', () => {
	function loadOptionsContext(agentId: unknown, body: unknown) {
		const { context, httpRequestWithAuthentication } = executeContext({
			params: {},
			request: async () => reply(body),
		});
		const loadContext = Object.assign(context, {
			getCurrentNodeParameter: () => agentId,
		}) as unknown as ILoadOptionsFunctions;
		return { loadContext, httpRequestWithAuthentication };
	}

	it('getAgents lists the agents by name, after an "any agent" entry', async () => {
		const { loadContext, httpRequestWithAuthentication } = loadOptionsContext(undefined, {
			data: [
				{ id: 'support', name: 'Support Desk', description: 'Answers support questions' },
				{ id: 'lead-qualifier', name: 'Lead Qualifier' },
			],
		});
		const options = await getAgents.call(loadContext);
		expect(httpRequestWithAuthentication.mock.calls[0][1]).toMatchObject({
			method: 'GET',
			url: 'http://agents.test:3000/v1/agents',
		});
		expect(options).toEqual([
			{ name: 'Any Agent', value: '' },
			{ name: 'Lead Qualifier', value: 'lead-qualifier', description: undefined },
			{ name: 'Support Desk', value: 'support', description: 'Answers support questions' },
		]);
	});

	const agents = {
		data: [
			{
				id: 'lead-qualifier',
				name: 'Lead Qualifier',
				channels: ['web', 'api'],
				tags: ['interested_pricing', 'urgent_need'],
				outcomes: ['booked', 'interested', 'browsing', 'negative'],
				actions: [{ id: 'lead_scoring', name: 'Lead Scoring', description: 'Budget and timeline known' }],
			},
			{ id: 'support', name: 'Support Desk', channels: ['sms'], tags: ['wants_human'], outcomes: ['resolved'] },
		],
	};

	it("getActions lists the chosen agent's actions from the agent list", async () => {
		const { loadContext, httpRequestWithAuthentication } = loadOptionsContext('lead-qualifier', agents);
		const options = await getActions.call(loadContext);
		expect(httpRequestWithAuthentication.mock.calls[0][1].url).toBe('http://agents.test:3000/v1/agents');
		expect(options).toEqual([
			{ name: 'Any Action', value: '' },
			{ name: 'Lead Scoring', value: 'lead_scoring', description: 'Budget and timeline known' },
		]);
	});

	it('getActions asks nothing when no agent is chosen', async () => {
		const { loadContext, httpRequestWithAuthentication } = loadOptionsContext('', {});
		await expect(getActions.call(loadContext)).resolves.toEqual([{ name: 'Any Action', value: '' }]);
		expect(httpRequestWithAuthentication).not.toHaveBeenCalled();
	});

	it('getAgentChoices lists agents without an "any" entry', async () => {
		const { loadContext } = loadOptionsContext(undefined, agents);
		await expect(getAgentChoices.call(loadContext)).resolves.toEqual([
			{ name: 'Lead Qualifier', value: 'lead-qualifier', description: undefined },
			{ name: 'Support Desk', value: 'support', description: undefined },
		]);
	});

	it("channels, tags and outcomes are the chosen agent's, or every agent's without repeats", async () => {
		const chosen = loadOptionsContext('lead-qualifier', agents).loadContext;
		await expect(getChannelFilters.call(chosen)).resolves.toEqual([
			{ name: 'Any Channel', value: '' },
			{ name: 'api', value: 'api' },
			{ name: 'web', value: 'web' },
		]);
		await expect(getOutcomes.call(chosen)).resolves.toEqual([
			{ name: 'Any Outcome', value: '' },
			{ name: 'booked', value: 'booked' },
			{ name: 'browsing', value: 'browsing' },
			{ name: 'interested', value: 'interested' },
			{ name: 'negative', value: 'negative' },
		]);
		const any = loadOptionsContext('', agents).loadContext;
		await expect(getTags.call(any)).resolves.toEqual([
			{ name: 'interested_pricing', value: 'interested_pricing' },
			{ name: 'urgent_need', value: 'urgent_need' },
			{ name: 'wants_human', value: 'wants_human' },
		]);
		// A conversation can always start on the HTTP chat API.
		const support = loadOptionsContext('support', agents).loadContext;
		await expect(getChannels.call(support)).resolves.toEqual([
			{ name: 'api', value: 'api' },
			{ name: 'sms', value: 'sms' },
		]);
	});

	it('an agent given as an unresolved expression counts as any agent', async () => {
		const { loadContext } = loadOptionsContext('={{ $json.agentId }}', agents);
		await expect(getActions.call(loadContext)).resolves.toEqual([{ name: 'Any Action', value: '' }]);
		expect((await getTags.call(loadContext)).length).toBe(3);
	});
});

describe('parseTags', () => {
	it('splits, trims and removes blanks and repeats', () => {
		expect(parseTags(' hot_lead, x ,,hot_lead')).toEqual(['hot_lead', 'x']);
		expect(parseTags(['a', ' b ', ''])).toEqual(['a', 'b']);
		expect(parseTags(undefined)).toEqual([]);
	});
});

describe('calls from a running execution', () => {
	const call = async (options: Parameters<typeof executeContext>[0], itemIndex = 0, method: 'POST' | 'GET' = 'POST') => {
		const { context, httpRequestWithAuthentication } = executeContext(options);
		await agentBridgeApiRequest.call(context, method, '/v1/contacts/ct_1/score', {}, undefined, 'evt_1', itemIndex);
		return httpRequestWithAuthentication.mock.calls[0][1].headers as Record<string, string>;
	};

	it('name their execution and workflow, so the server links the execution to its event', async () => {
		const headers = await call({ params: {}, executionId: '4711' });
		expect(headers).toMatchObject({
			'X-Agent-Bridge-Causation': 'evt_1',
			'X-Agent-Bridge-Execution': '4711',
			'X-Agent-Bridge-Workflow': 'wf_1',
			'X-Agent-Bridge-Workflow-Name': 'Lead%20Scoring',
			'X-Agent-Bridge-Execution-Mode': 'webhook',
		});
	});

	it('carry the same Idempotency-Key when n8n runs the same step for the same event again, and another for another item or run', async () => {
		const first = await call({ params: {}, executionId: '1' });
		const retried = await call({ params: {}, executionId: '2', mode: 'retry' });
		expect(first['Idempotency-Key']).toMatch(/^n8n:evt_1:[0-9a-f]{32}$/);
		expect(retried['Idempotency-Key']).toBe(first['Idempotency-Key']);
		expect((await call({ params: {} }, 1))['Idempotency-Key']).not.toBe(first['Idempotency-Key']);
		expect((await call({ params: {}, runIndex: 1 }))['Idempotency-Key']).not.toBe(first['Idempotency-Key']);
	});

	it('keep an editor run ("Execute step") apart from the real one, and send no key on a read', async () => {
		const real = await call({ params: {}, executionId: '1' });
		const manual = await call({ params: {}, executionId: '9', mode: 'manual' });
		expect(manual['Idempotency-Key']).toMatch(/^n8n:x-9:/);
		expect(manual['Idempotency-Key']).not.toBe(real['Idempotency-Key']);
		expect((await call({ params: {} }, 0, 'GET'))['Idempotency-Key']).toBeUndefined();
	});
});
