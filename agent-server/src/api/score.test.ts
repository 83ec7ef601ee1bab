import { createOfflineEngine } from '../engine/offline';
import { buildTestApp, type TestApp } from '../testing/harness';

describe('POST /v1/contacts/:id/score narrows what the scorer sees', () => {
	let t: TestApp;
	let contactId: string;

	beforeAll(async () => {
		t = await buildTestApp({ engine: createOfflineEngine() });
		const created = await t.call('POST', '/v1/contacts', {
			firstName: 'Dana',
			email: 'dana@example.com',
			customFields: { service_interest: 'website', budget_range: '$25,000', project_timeline: 'within 1 month' },
		});
		contactId = created.json().id;
	});
	afterAll(() => t.close());

	it('scores on every field by default', async () => {
		const res = await t.call('POST', `/v1/contacts/${contactId}/score`, {});
		expect(res.statusCode).toBe(200);
		expect(res.json().score).toBeGreaterThanOrEqual(7);
	});

	it('scores only on the chosen fields', async () => {
		const res = await t.call('POST', `/v1/contacts/${contactId}/score`, { fields: ['email'], transcriptMessages: 0 });
		expect(res.statusCode).toBe(200);
		expect(res.json().score).toBeLessThan(4);
	});

	it('rejects a bad field list or message count and writes nothing', async () => {
		for (const body of [{ fields: [] }, { fields: 'email' }, { transcriptMessages: -1 }, { transcriptMessages: 1.5 }]) {
			const res = await t.call('POST', `/v1/contacts/${contactId}/score`, { ...body, writeToField: 'lead_score' });
			expect(res.statusCode).toBe(400);
		}
		const contact = (await t.call('GET', `/v1/contacts/${contactId}`)).json();
		expect(contact.customFields.lead_score).toBeUndefined();
	});
});
