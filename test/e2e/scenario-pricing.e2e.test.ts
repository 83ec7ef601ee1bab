// Seed scenario 2, the pricing round trip: the pricing-assistant agent collects the service and the city, the Price
// Lookup workflow in a real n8n looks the price up in a Code node and writes it to the contact, and the agent quotes
// it in the same turn.
import { nodeOutput } from './support/n8n';
import { useScenario } from './support/scenario';

const s = useScenario({ workflows: ['price-lookup.json'], credentialName: 'Agent Bridge API (pricing)' });
const chat = (text: string, conversationId?: string) => s.chat('pricing-assistant', text, conversationId);
const executionFor = (contactId: string) => s.executionFor(s.workflowIds[0], 'Look Up Price', { contactId });

test('a deep clean in Denver: asked over two turns, quoted $240 in the turn that completed the details', async () => {
	const first = await chat('Hi, how much is a deep clean?');
	expect(first.reply!.text).toContain('Which city');
	expect(first.actions.find((a) => a.actionId === 'price_lookup')).toMatchObject({ fired: false });

	const second = await chat("It's a flat in Denver", first.conversation.id);
	expect(second.actions.find((a) => a.actionId === 'price_lookup')).toMatchObject({ fired: true });
	expect(second.waited).toMatchObject({ arrived: true, fields: ['custom_field.quoted_price'] });
	expect(second.reply!.text).toBe('A deep clean in Denver is $240, supplies included. You can book it at https://example.com/book-a-clean.');

	const contact = await s.contact(first.contact.id);
	expect(contact.customFields).toMatchObject({ quoted_price: '$240', service_interest: 'deep clean', service_location: 'Denver' });
	const execution = await executionFor(first.contact.id);
	expect(execution.status).toBe('success');
	expect(nodeOutput(execution, 'Look Up Price')[0][0]).toMatchObject({ service: 'deep clean', location: 'Denver', found: true, quotedPrice: '$240' });
	expect(nodeOutput(execution, 'Store Price')[0][0].customFields.quoted_price).toBe('$240');

	const messages = (await s.conversation(first.conversation.id)).messages;
	expect(messages.map((m: any) => m.role)).toEqual(['contact', 'agent', 'contact', 'agent']);
}, 60_000);

test('a move-out clean in Seattle, both given in one message: quoted $350 in the first reply', async () => {
	const only = await chat("What's the price of a move-out clean in Seattle? I'm Priya");
	expect(only.actions.find((a) => a.actionId === 'price_lookup')).toMatchObject({ fired: true });
	expect(only.reply!.text).toBe('A move-out clean in Seattle is $350, supplies included. You can book it at https://example.com/book-a-clean.');

	const execution = await executionFor(only.contact.id);
	expect(execution.status).toBe('success');
	expect(nodeOutput(execution, 'Price Requested')[0][0]).toMatchObject({
		type: 'agent.action.triggered',
		action: { id: 'price_lookup' },
		collected: { service: 'move-out clean', location: 'Seattle' },
	});
	const contact = await s.contact(only.contact.id);
	expect(contact.customFields.quoted_price).toBe('$350');
	expect(contact.tags).toContain('interested_pricing');
}, 60_000);
