import { render } from './templates';
import type { ContactSnapshot } from './types';

const contact: ContactSnapshot = {
	id: 'ct_1',
	firstName: 'Dana',
	lastName: null,
	email: 'dana@example.com',
	phone: null,
	customFields: { service_interest: 'website', lead_score: 8 },
	tags: [],
};
const ctx = { contact, agent: { name: 'Lead Qualifier' }, variables: { company: 'Acme Digital' } };
const anonymous = { ...ctx, contact: { ...contact, firstName: null } };

describe('templates', () => {
	test('known merge fields are filled', () => {
		expect(
			render('Hi {{contact.first_name}} ({{ contact.email }}), {{agent.name}} of {{variables.company}} here: {{contact.custom_field.service_interest}} scored {{contact.custom_field.lead_score}}.', ctx),
		).toEqual({ text: 'Hi Dana (dana@example.com), Lead Qualifier of Acme Digital here: website scored 8.', unknown: [] });
	});

	test.each([
		['Thanks {{contact.first_name}}! Let me review your details — one moment.', 'Thanks! Let me review your details — one moment.'],
		['Hi {{contact.first_name}}, how can I help?', 'Hi, how can I help?'],
		['Hello, {{contact.first_name}}!', 'Hello!'],
		['{{contact.first_name}}, welcome back.', 'Welcome back.'],
		['Dear {{contact.first_name}} {{contact.last_name}}: your quote is ready.', 'Dear: your quote is ready.'],
		['We will call {{contact.phone}} soon', 'We will call soon'],
	])('an empty field degrades cleanly: %j', (template, expected) => {
		const result = render(template, anonymous);
		expect(result.text).toBe(expected);
		expect(result.text).not.toContain('{{');
	});

	test('unknown and empty merge fields are reported once, never printed', () => {
		const result = render('Hi {{contact.first_name}} {{contact.nickname}} {{contact.custom_field.missing}} {{foo.bar}}{{contact.nickname}}!', anonymous);
		expect(result.text).toBe('Hi!');
		expect(result.unknown).toEqual(['contact.first_name', 'contact.nickname', 'contact.custom_field.missing', 'foo.bar']);
	});

	test('a default after a pipe is used when the field is empty', () => {
		expect(render('Hi {{contact.first_name | there}}!', anonymous)).toEqual({ text: 'Hi there!', unknown: [] });
		expect(render('Hi {{contact.first_name | there}}!', ctx).text).toBe('Hi Dana!');
	});

	test('text without merge fields is untouched', () => {
		expect(render('Spaces  stay , as written', ctx).text).toBe('Spaces  stay , as written');
	});
});
