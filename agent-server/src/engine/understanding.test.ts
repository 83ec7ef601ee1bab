import { readAmount } from './amounts';
import { groundValue } from './grounding';
import { readName } from './names';
import { isNegated } from './negation';
import { readEmail } from './contact-details';
import type { AgentField } from './agent-config';

describe('the offline engine reads what people write', () => {
	test('European formats and amounts in words are read as the contact meant them', () => {
		expect(readAmount('Budget €8.000, website redesign')?.value).toBe(8000);
		expect(readAmount('twenty-five thousand dollars', { loose: true })?.value).toBe(25000);
		expect(readAmount('10000-15000 for the budget')).toMatchObject({ value: 10000, to: 15000 });
	});

	test('last year\'s spend, revenue and followers are not the budget', () => {
		expect(readAmount('We spent 8k last year, this time budget is 15k')?.value).toBe(15000);
		expect(readAmount('Our annual revenue is about $2M. What do you charge?')).toBeNull();
		expect(readAmount('we have 10k followers on Instagram')).toBeNull();
	});

	test('titles are skipped and accents and particles kept in names', () => {
		expect(readName('Hello, this is Dr. Ana María López.')?.full).toBe('Ana María López');
		expect(readName('Me llamo Carlos de la Torre y busco SEO', { language: 'es' })?.full).toBe('Carlos de la Torre');
	});

	test('negation and Unicode emails', () => {
		const text = 'Not an app, just a simple website';
		expect(isNegated(text, text.indexOf('app'))).toBe(true);
		expect(isNegated(text, text.indexOf('website'))).toBe(false);
		expect(readEmail('my email is k.müller@beispiel.de')).toBe('k.müller@beispiel.de');
	});

	test('a model\'s amount counts as said when the contact wrote it in words', () => {
		const budget = { name: 'budget', question: 'Budget?', mapsTo: 'custom_field.budget', required: true, extract: { kind: 'amount', currency: 'USD' } } as AgentField;
		expect(groundValue(budget, '$25,000', 'we could do twenty-five thousand dollars')).toEqual({ ok: true, value: '$25,000' });
	});
});

test('a name that is also a word of another language is read as a name after an introduction ("I\'m Una")', async () => {
	const { readName } = await import('./names');
	expect(readName("Hi, I'm Una. How much does a website cost?", { language: 'en' })?.full).toBe('Una');
	// Lower-case, the same word is the article it also is.
	expect(readName('Hola, soy una diseñadora y necesito una web', { language: 'es' })).toBeNull();
});
