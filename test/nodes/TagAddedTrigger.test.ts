import { hookContext, reply } from './support/helpers';
import { SECRET, hooksOf, signedRequest } from './support/triggers';
import { TagAddedTrigger } from '../../nodes/TagAddedTrigger/TagAddedTrigger.node';

const trigger = new TagAddedTrigger();
const { hooks, webhook } = hooksOf(trigger);

describe('Tag Added Trigger', () => {
	it('is a webhook trigger with the agreed names and filters', () => {
		const { description } = trigger;
		expect(description.name).toBe('tagAddedTrigger');
		expect(description.displayName).toBe('Tag Added Trigger');
		expect(description.inputs).toEqual([]);
		expect(description.properties.map((p) => p.name)).toEqual(['notice', 'tags', 'agentId', 'addedBy']);
		const addedBy = description.properties.find((p) => p.name === 'addedBy');
		expect(addedBy?.options?.map((o) => (o as { value: string }).value)).toEqual(['', 'agent', 'workflow', 'api']);
	});

	it('subscribes to contact.tag.added with the tags (any of), agent and who added it', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({
			params: { tags: ['wants_human', 'urgent_need'], agentId: 'support', addedBy: 'workflow' },
			request: async () => reply({ id: 'sub_1', secret: SECRET }, 201),
		});
		await hooks.create.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body).toMatchObject({
			events: ['contact.tag.added'],
			filters: { tags: ['wants_human', 'urgent_need'], agentId: 'support', addedBy: 'workflow' },
		});
	});

	it('accepts tags from an expression as a comma-separated string', async () => {
		const { context, httpRequestWithAuthentication } = hookContext({
			params: { tags: 'hot_lead, referral_lead', agentId: '', addedBy: '' },
			request: async () => reply({ id: 'sub_1', secret: SECRET }, 201),
		});
		await hooks.create.call(context);
		expect(httpRequestWithAuthentication.mock.calls[0][1].body.filters).toEqual({
			tags: ['hot_lead', 'referral_lead'],
		});
	});

	it('outputs the tag and who added it at the top level', async () => {
		const envelope = {
			id: 'evt_4',
			type: 'contact.tag.added',
			contact: { id: 'ct_1', tags: ['interested_pricing'] },
			conversation: { id: 'conv_1', channel: 'web' },
			tag: 'interested_pricing',
			addedBy: 'agent',
		};
		const result = await webhook.call(signedRequest(envelope).context);
		expect(result.workflowData?.[0][0].json).toMatchObject({
			eventId: 'evt_4',
			contactId: 'ct_1',
			conversationId: 'conv_1',
			tag: 'interested_pricing',
			addedBy: 'agent',
		});
	});

	it('puts the tag and who added it first in the output', async () => {
		const result = await webhook.call(
			signedRequest({ id: 'evt_5', type: 'contact.tag.added', tag: 'hot_lead', addedBy: 'workflow' }).context,
		);
		const keys = Object.keys(result.workflowData?.[0][0].json ?? {});
		expect(keys.slice(0, 8)).toEqual([
			'eventId',
			'eventType',
			'contactId',
			'conversationId',
			'agentId',
			'channel',
			'tag',
			'addedBy',
		]);
	});
});
