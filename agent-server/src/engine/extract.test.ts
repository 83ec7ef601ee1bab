import { loadAgents } from '../agents/agent-files';
import {
	detectIntent,
	detectSentiment,
	extractAmount,
	extractEmail,
	extractFields,
	extractName,
	extractPhone,
	extractTimeline,
	matchKeywordList,
	matchPattern,
} from './extract';

const now = new Date('2026-11-24T12:00:00Z');
const agent = loadAgents().get('lead-qualifier')!;

describe('extraction', () => {
	test('emails and phones', () => {
		expect(extractEmail('reach me at Dana.Smith+web@Example.co.uk please')).toBe('dana.smith+web@example.co.uk');
		expect(extractEmail('no email here')).toBeNull();
		expect(extractPhone('call +1 (415) 555-0134 after 5')).toBe('+14155550134');
		expect(extractPhone('my number is 020 7946 0958')).toBe('02079460958');
		expect(extractPhone('budget $25,000 by 2026-12-01')).toBeNull();
		expect(extractPhone('about 25000 dollars')).toBeNull();
	});

	test.each([
		["Hi, I'm Dana and I need a new website", 'Dana'],
		['my name is Dana Smith', 'Dana Smith'],
		['this is Dana', 'Dana'],
		['hey, my name is dana', 'Dana'],
		['I am Dana Smith from Acme', 'Dana Smith'],
		["I'm looking for a website", null],
		['this is urgent', null],
		["I'm interested in SEO", null],
	])('name in %j', (text, expected) => {
		expect(extractName(text)?.full ?? null).toBe(expected);
	});

	test('a bare name only when the name was just asked', () => {
		expect(extractName('Dana Smith')).toBeNull();
		expect(extractName('Dana Smith', { loose: true })?.full).toBe('Dana Smith');
	});

	test.each([
		['Our budget is $25,000', 25000, '$25,000'],
		['around 25k', 25000, '$25,000'],
		['around 25000 dollars', 25000, '$25,000'],
		['€5k tops', 5000, '€5,000'],
		['We only have about $500', 500, '$500'],
		['£1.5m', 1500000, '£1,500,000'],
		['budget is 12000', 12000, '$12,000'],
	])('amount in %j', (text, value, shown) => {
		const a = extractAmount(text, { defaultCurrency: 'USD' });
		expect(a?.value).toBe(value);
		expect(a?.text).toBe(shown);
	});

	test('plain numbers are amounts only when the budget was just asked', () => {
		expect(extractAmount('we have 3 people and 2000')).toBeNull();
		expect(extractAmount('maybe 8000', { loose: true, defaultCurrency: 'USD' })?.text).toBe('$8,000');
		expect(extractAmount('within 1 month')).toBeNull();
	});

	test.each([
		["we'd like to launch within 1 month", 'within 1 month', 30],
		['next month', 'next month', 45],
		['in 3 weeks', 'in 3 weeks', 21],
		['ASAP please', 'ASAP', 7],
		['maybe next year', 'next year', 365],
		['sometime in Q3', 'Q3', 219],
		['by 2026-12-24', '2026-12-24', 30],
		['by March 15', 'by March 15', 111],
		['in a couple of months', 'in a couple of months', 60],
	])('timeline in %j', (text, shown, days) => {
		const t = extractTimeline(text, { now });
		expect(t?.text).toBe(shown);
		expect(t?.days).toBe(days);
	});

	test('no timeline in ordinary sentences', () => {
		expect(extractTimeline('So, what happens next?', { now })).toBeNull();
		expect(extractTimeline('I may need an app', { now })).toBeNull();
		expect(extractTimeline('we have 3 people', { now })).toBeNull();
	});

	test('keyword lists and patterns', () => {
		const service = agent.fields.find((f) => f.name === 'service_needed')!;
		if (service.extract.kind !== 'keywords') throw new Error('expected keywords');
		expect(matchKeywordList('I need a new Website for my bakery', service.extract.keywords)).toBe('website');
		expect(matchKeywordList('an iOS app and some SEO', service.extract.keywords)).toBe('app');
		expect(matchKeywordList('happy to chat', service.extract.keywords)).toBeNull();
		expect(matchPattern('order #A-1234 is late', '#([A-Z]-\\d+)')).toBe('A-1234');
		expect(matchPattern('nothing', '#(\\d+)')).toBeNull();
	});

	test('extractFields reads every configured field, and known fields only when named again', () => {
		expect(extractFields(agent, "Hi, I'm Dana and I need a new website for my bakery")).toEqual({ name: 'Dana', service_needed: 'website' });
		expect(extractFields(agent, "Our budget is $25,000 and we'd like to launch within 1 month")).toEqual({
			budget: '$25,000',
			timeline: 'within 1 month',
		});
		const known = { budget: '$25,000', timeline: 'within 1 month' };
		expect(extractFields(agent, 'Tomorrow at 10am works', { known })).toEqual({});
		expect(extractFields(agent, 'Actually our budget is $30k', { known })).toEqual({ budget: '$30,000' });
		expect(extractFields(agent, '8000', { pending: 'budget' })).toEqual({ budget: '$8,000' });
	});

	test('keyword intents and sentiment', () => {
		expect(detectIntent('How much does a website cost?', agent.intents)).toBe('get_quote');
		expect(detectIntent('Can we schedule a call tomorrow?', agent.intents)).toBe('book_call');
		expect(detectIntent('hello', agent.intents)).toBeNull();
		expect(detectSentiment('Thanks, this is great!')).toBe('positive');
		expect(detectSentiment('This is terrible and slow')).toBe('negative');
		expect(detectSentiment('I am not happy')).toBe('negative');
		expect(detectSentiment('I need a website')).toBe('neutral');
	});
});

describe('patterns on the linear-time engine', () => {
	const slot = loadAgents().get('appointment-scheduler')!.fields.find((f) => f.name === 'slot_choice')!;
	const pick = (text: string) => (slot.extract.kind === 'pattern' ? matchPattern(text, slot.extract.pattern, slot.extract.flags) : 'not a pattern');

	test('the bundled slot choice reads "2", "option 2 please" and "slot #3", not times or dates', () => {
		expect(['2', 'Option 2 please', 'Ok, number 2', 'slot #3 works', '1.', 'choice 3, thanks'].map(pick)).toEqual(['2', '2', '2', '3', '1', '3']);
		expect(['Hmm, 2pm I guess', '2 pm', '3:00 is good', '1 June', 'option 12', '2.5 hours'].map(pick)).toEqual([null, null, null, null, null, null]);
	});

	test('the first capture group that took part in the match is the value', () => {
		expect(matchPattern('ref B-22', '#(\\d+)|ref ([A-Z]-\\d+)')).toBe('B-22');
		expect(matchPattern('héllo wörld', '\\p{L}+ (\\p{L}+)')).toBe('wörld');
	});

	test('past the extraction budget the remaining fields are left for the next message', () => {
		const text = 'my budget is $25,000, email dana@example.com';
		expect(Object.keys(extractFields(agent, text, { now }))).toEqual(expect.arrayContaining(['budget', 'email']));
		expect(extractFields(agent, text, { now, budgetMs: -1 })).toEqual({});
	});
});
